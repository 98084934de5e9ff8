"""Ranked hypotheses: confidence, kind and component, and a one-line reason each."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui.data import HypothesisRow
from tui.widgets import MOVE_KEYS
from tui.widgets.format import bar, tone


def one_line(summary: str, limit: int = 140) -> str:
    """The reason's first clause, on one line."""
    text = " ".join(summary.split())
    first = text.split("; ")[0]
    return first if len(first) <= limit else first[: limit - 1] + "…"


class HypothesisList(OptionList):
    BINDINGS = MOVE_KEYS

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows: list[HypothesisRow] = []
        self._width = 0

    @property
    def current(self) -> HypothesisRow | None:
        if self.highlighted is None or not self.rows:
            return None
        return self.rows[min(self.highlighted, len(self.rows) - 1)]

    def on_resize(self) -> None:
        if self.size.width != self._width:
            self.show(self.rows, force=True)

    def show(self, rows: list[HypothesisRow], *, force: bool = False) -> None:
        same = [(r.id, r.rank, r.confidence, r.summary) for r in rows] == [
            (r.id, r.rank, r.confidence, r.summary) for r in self.rows
        ]
        if same and not force:
            return
        self._width = self.size.width
        limit = max(20, self._width - 6)
        keep = self.current.id if self.current else None
        self.rows = list(rows)
        self.clear_options()
        strong = tone(self.app, "success")
        for r in rows:
            head = Text.assemble(
                (f"#{r.rank or '-'} ", "bold"),
                (f"{r.confidence:>4.0%} ", "bold"),
                (bar(r.confidence, 8), strong if r.confidence >= 0.5 else ""),
                f" {r.kind} · {r.component}",
                (f"  [{r.source}]", "dim"),
            )
            reason = Text("   " + one_line(r.summary, limit), style="dim")
            self.add_option(Option(Text("\n").join([head, reason]), id=r.id))
        if rows:
            ids = [r.id for r in rows]
            self.highlighted = ids.index(keep) if keep in ids else 0
