"""Read-only detail modals: one timeline event in full (what the table's one line cuts: log lines,
messages, diffs), and an agent tool result a hypothesis cites."""

from __future__ import annotations

import json
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from incident.app.queries import EventRow


class FactsScreen(ModalScreen[None]):
    """Facts as a two-column table, then an optional block of plain text; any of esc, enter, q closes."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("enter", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]
    heading = ""

    def facts(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def body(self) -> str | None:
        return None

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for name, value in self.facts():
            table.add_row(name, Text(value))  # values are data (hostile text too), never markup
        with VerticalScroll(id="event-body", classes="modal-body") as box:
            box.border_title = self.heading
            box.border_subtitle = "esc closes"
            yield Static(table)
            text = self.body()
            if text is not None:
                yield Static(text, markup=False, id="event-details")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)


class EventDetailScreen(FactsScreen):
    heading = "Timeline event"

    def __init__(self, event: EventRow, *, pinned: bool = False) -> None:
        super().__init__()
        self.event = event
        self.pinned = pinned

    def facts(self) -> list[tuple[str, str]]:
        e = self.event
        return [
            ("when", f"{e.at:%Y-%m-%d %H:%M:%S} UTC"),
            ("kind", e.kind + ("  ★ pinned" if self.pinned else "")),
            ("source", e.source),
            ("component", e.component or "-"),
            ("id", e.id),
            ("what", e.summary),
        ]

    def body(self) -> str | None:
        details = self.event.details
        return json.dumps(details, indent=2, sort_keys=True, default=str) if details else None


class ToolResultScreen(FactsScreen):
    """An agent tool result a hypothesis cites (``tr_...``): the call and what it returned."""

    heading = "Agent tool result"

    def __init__(self, ref: str, result: dict[str, Any]) -> None:
        super().__init__()
        self.ref = ref
        self.result = result

    def facts(self) -> list[tuple[str, str]]:
        r = self.result
        return [
            ("tool", str(r.get("tool", "?"))),
            ("arguments", json.dumps(r.get("args") or {}, sort_keys=True, default=str)),
            ("status", str(r.get("status", "?"))),
            ("id", self.ref),
        ]

    def body(self) -> str | None:
        return str(self.result.get("content", ""))
