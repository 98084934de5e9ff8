"""Every key of the screen it was opened from, plus the general ones."""

from __future__ import annotations

import re

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

GENERAL = [
    ("j/k, ↑/↓", "move in a list"),
    ("tab / shift+tab", "next / previous pane"),
    ("enter", "open the highlighted item"),
    ("esc", "back, or cancel"),
    ("/", "filter or search"),
    ("ctrl+p", "command palette"),
    ("?", "this help"),
    ("q", "quit"),
]


def screen_name(screen: object) -> str:
    """The name a person knows the screen by: its ``HELP_NAME``, else its class name in words
    (``IncidentViewScreen`` -> "Incident view")."""
    name = getattr(screen, "HELP_NAME", None)
    if isinstance(name, str) and name:
        return name
    words = re.findall(r"[A-Z][a-z0-9]*", type(screen).__name__.removesuffix("Screen"))
    return " ".join(words).capitalize() if words else type(screen).__name__


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, title: str, keys: list[tuple[str, str]], notes: list[tuple[str, str]] | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.keys = keys
        self.notes = notes or []
        """What the screen's symbols mean (step markers, verdict keys): shown below the keys."""

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        seen = set()
        for key, what in [*self.keys, *GENERAL]:
            if key not in seen:
                seen.add(key)
                table.add_row(key, what)
        if self.notes:
            table.add_row("", "")
            for mark, what in self.notes:
                table.add_row(mark, what)
        with VerticalScroll(id="help-body", classes="modal-body") as body:
            body.border_title = f"Keys: {self.title_text}"
            body.border_subtitle = "esc closes"
            yield Static(table)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
