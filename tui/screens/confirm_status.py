"""Confirm acknowledging or resolving an incident, naming the alerts that still fire (a change of
the incident here does not silence them at their source). Dismisses True to go on, False to cancel."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from incident.app.queries import AlertRow
from tui.widgets.format import tone

VERB = {"acknowledged": "Acknowledge", "resolved": "Resolve"}


class ConfirmStatusScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "confirm", "Yes"),
        Binding("escape", "cancel", "Cancel"),
        Binding("n", "cancel", "Cancel", show=False),
    ]

    def __init__(self, incident_id: int, status: str, firing: list[AlertRow], *, via_pagerduty: bool) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.status = status
        self.firing = firing
        self.via_pagerduty = via_pagerduty

    def compose(self) -> ComposeResult:
        verb = VERB.get(self.status, self.status)
        with Vertical(id="status-body", classes="modal-body") as body:
            body.border_title = f"{verb} incident {self.incident_id}?"
            body.border_subtitle = "y confirms · esc cancels"
            with VerticalScroll(id="status-lines"):
                yield Static(self.describe(), id="status-alerts")
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{verb} \\[y]", id="status-yes", variant="warning", compact=True)
                yield Button("Cancel \\[esc]", id="status-no", compact=True)

    def describe(self) -> Text:
        """Which alerts still fire, and what happens next for a PagerDuty incident."""
        if not self.firing:
            text = Text("No alert of this incident is firing any more.\n")
        else:
            warn = tone(self.app, "warning")
            text = Text(f"Still firing ({len(self.firing)}):\n", style=f"bold {warn}".strip())
            for a in self.firing:
                where = f" on {a.component}" if a.component else ""
                what = f"{a.severity or 'no severity'}, {a.source}"
                text.append(f"  {a.name}{where} ({what}) since {a.starts_at:%H:%M} UTC\n")
        if self.via_pagerduty:
            text.append("\nNext: the PagerDuty change's dry run, to approve.", style="dim")
        text.rstrip()
        return text

    def on_mount(self) -> None:
        self.query_one("#status-yes").focus()

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#status-yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#status-no")
    def _no(self) -> None:
        self.dismiss(False)
