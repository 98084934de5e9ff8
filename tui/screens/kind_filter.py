"""Choose which event kinds the timeline shows; dismisses with the chosen set (empty = all)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import SelectionList

from tui.widgets import MOVE_KEYS
from tui.widgets.timeline import PINNED


class KindList(SelectionList[str]):
    BINDINGS = MOVE_KEYS


class KindFilterScreen(ModalScreen[set[str]]):
    BINDINGS = [
        Binding("escape,f", "apply", "Apply"),
        Binding("x", "clear", "Show all"),
    ]

    def __init__(self, kinds: list[tuple[str, int]], chosen: set[str]) -> None:
        super().__init__()
        self.kinds = kinds
        self.chosen = chosen

    def compose(self) -> ComposeResult:
        with Vertical(id="kinds-body", classes="modal-body") as body:
            body.border_title = "Show kinds"
            body.border_subtitle = "space toggles · esc applies · x all"
            options = [(f"{kind} ({n})", kind, kind in self.chosen) for kind, n in self.kinds]
            options.append(("only pinned", PINNED, PINNED in self.chosen))
            yield KindList(*options)

    def on_mount(self) -> None:
        self.query_one(KindList).focus()

    def action_apply(self) -> None:
        self.dismiss(set(self.query_one(KindList).selected))

    def action_clear(self) -> None:
        self.dismiss(set())
