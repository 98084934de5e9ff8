"""The incident view's write flows: approve (confirm with the dry run, then execute), reject with
a reason, acknowledge / resolve, notes. Each runs its blocking part in a thread worker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.screen import Screen

from incident.app import commands, queries
from incident.app.commands import Status
from incident.app.queries import ActionRow, AlertRow, Detail
from tui import data
from tui.messages import ActionFinished
from tui.screens.confirm_action import ConfirmActionScreen
from tui.screens.confirm_status import ConfirmStatusScreen
from tui.screens.reject import RejectScreen

if TYPE_CHECKING:
    from tui.app import IncidentApp


class ApprovalFlows(Screen[None]):
    incident_id: int
    detail: Detail | None

    @property
    def copilot(self) -> IncidentApp:
        return self.app  # type: ignore[return-value]

    if TYPE_CHECKING:  # provided by the incident view

        def selected_action(self) -> ActionRow | None: ...

        def reload(self) -> object: ...  # a @work method: returns its Worker

    # ------------------------------------------------------------------ approve / reject
    def action_approve(self) -> None:
        a = self.selected_action()
        if a is None:
            self.notify("No pending action on this incident.", severity="warning")
        elif not a.allowed:
            self.notify(f"{a.title}: not allowed ({a.disallowed_reason or 'config'})", severity="error")
        elif a.status != "proposed":
            self.notify(f"{a.title}: already {a.status}.", severity="warning")
        else:
            self.confirm_then_execute(a.id)

    def confirm_then_execute(self, action_id: str) -> None:
        def answered(ok: bool | None) -> None:
            if ok:
                self.execute(action_id)

        self.app.push_screen(ConfirmActionScreen(action_id), answered)

    @work(thread=True, exclusive=False, exit_on_error=False, group="act")
    def execute(self, action_id: str) -> None:
        app = self.copilot
        row = commands.approve_and_execute(app.store, action_id, connectors=app.get_connectors(), settings=app.settings)
        self.post_message(ActionFinished(row))

    def action_reject(self) -> None:
        a = self.selected_action()
        if a is None or a.status != "proposed":
            self.notify("No pending action to reject.", severity="warning")
        else:

            def answered(reason: str | None) -> None:
                if reason is not None:
                    self.reject(a.id, reason)

            self.app.push_screen(RejectScreen(a.title), answered)

    @work(thread=True, exclusive=False, exit_on_error=False, group="act")
    def reject(self, action_id: str, reason: str) -> None:
        row = commands.reject(self.copilot.store, action_id, settings=self.copilot.settings, reason=reason)
        self.post_message(ActionFinished(row))

    def on_action_finished(self, message: ActionFinished) -> None:
        row = message.row
        if row.status == "succeeded":
            self.notify(f"Done: {row.title}", title="Action succeeded")
        elif row.status == "rejected":
            self.notify(f"Rejected: {row.title}")
        else:
            self.notify(f"{row.title}: {row.status}. {row.error or ''}".strip(), severity="error")
        self.reload()

    # ------------------------------------------------------------------ status and notes
    def action_acknowledge(self) -> None:
        if self._is_one_of("triggered"):
            self.ask_status("acknowledged")

    def action_resolve(self) -> None:
        if self._is_one_of("triggered", "acknowledged"):
            self.ask_status("resolved")

    def _is_one_of(self, *from_states: str) -> bool:
        """True when the incident's state allows the change (or is not loaded yet); else say why not."""
        now = self.detail.incident.status if self.detail else None
        if now is None or now in from_states:
            return True
        self.notify(f"Incident {self.incident_id} is {now} already.", severity="warning")
        return False

    @work(thread=True, exclusive=True, exit_on_error=False, group="ask-status")
    def ask_status(self, status: Status) -> None:
        """Confirm first, naming the alerts still firing (read in this worker)."""
        firing = queries.firing_alerts(self.copilot.store, self.incident_id)
        pagerduty = self.detail is not None and self.detail.incident.source == "pagerduty"
        self.app.call_from_thread(self._confirm_status, status, firing, pagerduty)

    def _confirm_status(self, status: Status, firing: list[AlertRow], pagerduty: bool) -> None:
        def answered(ok: bool | None) -> None:
            if ok:
                self.change_status(status)

        self.app.push_screen(ConfirmStatusScreen(self.incident_id, status, firing, via_pagerduty=pagerduty), answered)

    @work(thread=True, exclusive=False, exit_on_error=False, group="act")
    def change_status(self, status: Status) -> None:
        app = self.copilot
        action_id = commands.change_status(app.store, self.incident_id, status, settings=app.settings, at=data.now())
        if action_id is not None:  # a PagerDuty incident: confirm the change in PagerDuty first
            app.call_from_thread(self.confirm_then_execute, action_id)
        else:
            app.call_from_thread(self.notify, f"Incident {status} (in the store; its source is not PagerDuty).")
            app.call_from_thread(self.reload)

    @work(thread=True, exclusive=False, exit_on_error=False, group="act")
    def save_note(self, text: str) -> None:
        commands.add_note(self.copilot.store, self.incident_id, text, settings=self.copilot.settings, at=data.now())
        self.app.call_from_thread(self.reload)
