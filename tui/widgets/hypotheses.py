"""Ranked hypotheses: confidence, kind and component, and a one-line reason each."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from incident.app.queries import HypothesisRow
from tui.widgets import MOVE_KEYS
from tui.widgets.format import bar, tone


def one_line(summary: str, limit: int = 140) -> str:
    """The reason's first clause, on one line."""
    text = " ".join(summary.split())
    first = text.split("; ")[0]
    return first if len(first) <= limit else first[: limit - 1] + "…"


VERDICT = {"confirmed": ("✓ confirmed", "success"), "rejected": ("✗ wrong", "error")}
"""How a person's verdict shows on the hypothesis' first line."""


def memory_line(memory: dict[str, Any], limit: int, style: str) -> Text:
    """e.g. ``↑ +12% memory: confirmed by alice on #12 (similar 82%)``."""
    delta = float(memory.get("delta") or 0)
    arrow = "↑" if delta > 0 else "↓"
    text = f"   {arrow} {delta:+.0%} memory: {memory.get('because', '')}".rstrip()
    return Text(text if len(text) <= limit else text[: limit - 1] + "…", style=style)


def shown_as(r: HypothesisRow) -> tuple[Any, ...]:
    """What the list draws of a hypothesis: redraw only when this changes."""
    return (r.id, r.rank, r.confidence, r.summary, r.status, r.verdict_by, r.memory)


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
        if list(map(shown_as, rows)) == list(map(shown_as, self.rows)) and not force:
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
            if r.status in VERDICT:
                mark, name = VERDICT[r.status]
                head.append(f"  {mark} {r.verdict_by or ''}".rstrip(), style=f"bold {tone(self.app, name)}".strip())
            lines = [head, Text("   " + one_line(r.summary, limit), style="dim")]
            if r.memory.get("delta"):
                lines.append(memory_line(r.memory, limit, tone(self.app, "primary")))
            self.add_option(Option(Text("\n").join(lines), id=r.id))
        if rows:
            ids = [r.id for r in rows]
            self.highlighted = ids.index(keep) if keep in ids else 0
