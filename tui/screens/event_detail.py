"""One timeline event in full: what the table's one line cuts (log lines, messages, diffs)."""

from __future__ import annotations

import json

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.data import EventRow


class EventDetailScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("enter", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, event: EventRow, *, pinned: bool = False) -> None:
        super().__init__()
        self.event = event
        self.pinned = pinned

    def compose(self) -> ComposeResult:
        e = self.event
        facts = Table(box=None, show_header=False, pad_edge=False)
        facts.add_column(style="bold", no_wrap=True)
        facts.add_column()
        facts.add_row("when", f"{e.at:%Y-%m-%d %H:%M:%S} UTC")
        facts.add_row("kind", e.kind + ("  ★ pinned" if self.pinned else ""))
        facts.add_row("source", e.source)
        facts.add_row("component", e.component or "-")
        facts.add_row("id", e.id)
        facts.add_row("what", e.summary)
        with VerticalScroll(id="event-body", classes="modal-body") as body:
            body.border_title = "Timeline event"
            body.border_subtitle = "esc closes"
            yield Static(facts)
            if e.details:
                text = json.dumps(e.details, indent=2, sort_keys=True, default=str)
                yield Static(text, markup=False, id="event-details")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
