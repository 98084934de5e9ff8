"""Mark a hypothesis confirmed or wrong: what team memory learns from for the next page.
Dismisses with ``confirmed``, ``rejected`` or ``proposed`` (undecided), or None to cancel."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.widgets import MOVE_KEYS

CHOICES = [
    ("confirmed", "c", "Confirmed: this was the cause"),
    ("rejected", "w", "Wrong: this was not the cause"),
    ("proposed", "u", "Undecided: withdraw the verdict"),
]


class VerdictChoices(OptionList):
    BINDINGS = MOVE_KEYS


class VerdictScreen(ModalScreen[str | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        *[Binding(key, f"choose('{verdict}')", show=False) for verdict, key, _ in CHOICES],
    ]

    def __init__(self, what: str, current: str) -> None:
        super().__init__()
        self.what = what
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="verdict-body", classes="modal-body") as body:
            body.border_title = "Verdict"
            body.border_subtitle = "c confirmed · w wrong · u undecided · esc cancels"
            yield Static(self.what, id="verdict-title")
            options = [Option(f"{key}  {label}", id=verdict) for verdict, key, label in CHOICES]
            yield VerdictChoices(*options, id="verdict-choices")

    def on_mount(self) -> None:
        choices = self.query_one(VerdictChoices)
        ids = [v for v, _, _ in CHOICES]
        choices.highlighted = ids.index(self.current) if self.current in ids else 0
        choices.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_choose(self, verdict: str) -> None:
        self.dismiss(verdict)

    def action_cancel(self) -> None:
        self.dismiss(None)
