"""One timeline event in full: what the table's one line cuts (log lines, messages, diffs)."""

from __future__ import annotations

import json
from typing import Any

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


class ToolResultScreen(ModalScreen[None]):
    """An agent tool result a hypothesis cites (``tr_...``): the call and what it returned."""

    BINDINGS = EventDetailScreen.BINDINGS

    def __init__(self, ref: str, result: dict[str, Any]) -> None:
        super().__init__()
        self.ref = ref
        self.result = result

    def compose(self) -> ComposeResult:
        r = self.result
        facts = Table(box=None, show_header=False, pad_edge=False)
        facts.add_column(style="bold", no_wrap=True)
        facts.add_column()
        facts.add_row("tool", str(r.get("tool", "?")))
        facts.add_row("arguments", json.dumps(r.get("args") or {}, sort_keys=True, default=str))
        facts.add_row("status", str(r.get("status", "?")))
        facts.add_row("id", self.ref)
        with VerticalScroll(id="event-body", classes="modal-body") as body:
            body.border_title = "Agent tool result"
            body.border_subtitle = "esc closes"
            yield Static(facts)
            yield Static(str(r.get("content", "")), markup=False, id="event-details")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
