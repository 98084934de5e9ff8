"""The TUI application: screens over one store, polled every second so that writes of other
processes (a watcher, other TUIs) show up within two seconds; worker failures handled here."""

from __future__ import annotations

import contextlib
import difflib
import threading
from collections.abc import Iterable
from typing import Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.theme import BUILTIN_THEMES
from textual.worker import Worker, WorkerState

from incident.app import queries
from incident.config import Settings
from incident.errors import ConfigError, CopilotError
from incident.store import Store
from tui.messages import AgentProgress, StoreChanged
from tui.screens.help import HelpScreen, screen_name
from tui.screens.incident_list import IncidentListScreen
from tui.screens.incident_view import IncidentViewScreen
from tui.widgets.agent_meter import AgentState

POLL_SECONDS = 1.0


class IncidentApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "incident-copilot"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]

    cursor_blink = True
    """Blinking cursors in inputs (tests turn it off for stable snapshots)."""

    def __init__(self, settings: Settings, store: Store, *, connectors: Any = None, watcher: Any = None) -> None:
        super().__init__()
        self.settings = settings
        self.store = store
        self.watcher = watcher
        self._connectors = connectors if connectors is not None else getattr(watcher, "connectors", None)
        self._connectors_lock = threading.Lock()
        self.agent_states: dict[int, AgentState] = {}
        self._agent_incident: int | None = None
        self._version: tuple[Any, ...] | None = None
        self._last_error: str | None = None

    # ------------------------------------------------------------------ lifecycle
    def on_mount(self) -> None:
        self.theme = self.settings.tui.theme
        self.push_screen(IncidentListScreen())
        self.set_interval(POLL_SECONDS, self.poll)
        if self.watcher is not None:
            self.watcher.on_agent_event = self._agent_event_from_thread

    def on_unmount(self) -> None:
        if self.watcher is not None:
            self.watcher.on_agent_event = None

    def get_connectors(self) -> Any:
        """The connectors actions run with, built on first use (blocking: call from a worker)."""
        with self._connectors_lock:
            if self._connectors is None:
                from incident.registry import build_connectors

                self._connectors = build_connectors(self.settings)
            return self._connectors

    def open_incident(self, incident_id: int) -> None:
        self.push_screen(IncidentViewScreen(incident_id))

    # ------------------------------------------------------------------ live refresh
    @work(thread=True, exclusive=True, exit_on_error=False, group="poll")
    def poll(self) -> None:
        """The cheap store fingerprint; on a change every screen reloads what it shows."""
        version = queries.store_version(self.store)
        if version != self._version:  # the first poll too: the screens' first load may have raced a write
            self._version = version
            self.call_from_thread(self._broadcast, version)

    def _broadcast(self, version: tuple[Any, ...]) -> None:
        for screen in self.screen_stack:
            screen.post_message(StoreChanged(version))

    # ------------------------------------------------------------------ agent progress
    def _agent_event_from_thread(self, event: Any) -> None:
        """``Watcher.on_agent_event``: called on the watcher's threads."""
        with contextlib.suppress(RuntimeError):  # the app is not running (any more)
            self.call_from_thread(self._agent_event, event)

    def _agent_event(self, event: Any) -> None:
        incident_id = getattr(event, "incident_id", None)
        if incident_id is not None:
            self._agent_incident = incident_id
            self.agent_states[incident_id] = AgentState(incident_id)
        state = self.agent_states.get(self._agent_incident) if self._agent_incident is not None else None
        if state is None:
            return
        state.apply(event)
        for screen in self.screen_stack:
            screen.post_message(AgentProgress(event))

    # ------------------------------------------------------------------ errors, in one place
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            if event.worker.group == "poll" and event.state == WorkerState.SUCCESS:
                self._last_error = None
            return
        error = event.worker.error
        message = error.message if isinstance(error, CopilotError) else f"{type(error).__name__}: {error}"
        title = error.title if isinstance(error, CopilotError) else "Error"
        if event.worker.group == "poll":  # the store is unreachable: say so once, not every second
            if message == self._last_error:
                return
            self._last_error = message
            title = "Store unreachable"
        self.notify(message, title=title, severity="error", timeout=10)

    # ------------------------------------------------------------------ help and palette
    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        keys = []
        for binding in self.screen.active_bindings.values():
            b = binding.binding
            if b.show and b.description:
                keys.append((b.key_display or self.get_key_display(b), b.description))
        notes = list(getattr(self.screen, "HELP_NOTES", []))
        self.push_screen(HelpScreen(screen_name(self.screen), keys, notes))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Every key of this screen", self.action_help)
        if isinstance(screen, IncidentViewScreen):
            yield SystemCommand("Approve action", "Dry-run the selected action, then confirm", screen.action_approve)
            yield SystemCommand("Reject action", "Reject the selected action with a reason", screen.action_reject)
            yield SystemCommand(
                "Acknowledge incident", "Acknowledge (in PagerDuty when paged there)", screen.action_acknowledge
            )
            yield SystemCommand("Resolve incident", "Resolve (in PagerDuty when paged there)", screen.action_resolve)
            yield SystemCommand("Add note", "A note on the timeline", screen.action_note)
            yield SystemCommand(
                "Verdict on hypothesis", "Mark the highlighted hypothesis confirmed or wrong", screen.action_verdict
            )
            yield SystemCommand(
                "Explain hypothesis", "Why the highlighted hypothesis ranks where it does", screen.action_explain
            )
            yield SystemCommand("Export postmortem", "Write the postmortem draft to a file", screen.action_postmortem)
            yield SystemCommand("Jump to evidence", "The highlighted hypothesis' next evidence", screen.action_evidence)
            yield SystemCommand("Filter timeline by kind", "Choose the event kinds shown", screen.action_kinds)
            yield SystemCommand("Chart signal", "Full-size chart of the highlighted signal", screen.action_chart)
            yield SystemCommand("Back to incidents", "The incident list", screen.action_back)
        if isinstance(screen, IncidentListScreen):
            yield SystemCommand("Filter incidents", "Filter the list by any field", screen.action_filter)
            yield SystemCommand(
                "Quarantined alerts", "Alerts refused as invalid, with their raw payload", screen.action_quarantine
            )


def make_app(settings: Settings, store: Store, *, connectors: Any = None, watcher: Any = None) -> IncidentApp:
    """The one factory of the app, for ``incident tui``, ``incident demo`` and the tests.

    ``connectors`` run approved actions (built from ``settings`` on first use when omitted);
    ``watcher``, when running in this process, feeds the agent's progress meter.
    """
    check_theme(settings.tui.theme)
    return IncidentApp(settings, store, connectors=connectors, watcher=watcher)


def check_theme(name: str) -> None:
    """``tui.theme`` must name a Textual theme (a ConfigError with a suggestion otherwise)."""
    if name in BUILTIN_THEMES:
        return
    close = difflib.get_close_matches(name, list(BUILTIN_THEMES), n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"one of: {', '.join(sorted(BUILTIN_THEMES))}"
    raise ConfigError(f"tui.theme: unknown theme '{name}' ({hint})")
