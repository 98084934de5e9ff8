"""The highlighted hypothesis in full: its whole reason, each piece of evidence it cites (what
``e`` jumps to) and what would refute it; the list above shows only the reason's first clause."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.widgets import Static

from incident.app.queries import EventRow, HypothesisRow, WindowRow
from tui.widgets.format import tone


def evidence_line(ref: str, h: HypothesisRow, events: Sequence[EventRow], windows: Sequence[WindowRow]) -> str:
    """What one evidence ref is, as a person reads it."""
    event = next((e for e in events if e.id == ref), None)
    if event is not None:
        return f"{event.at:%H:%M:%S} {event.kind}: {' '.join(event.summary.split())}"
    window = next((w for w in windows if w.id == ref), None)
    if window is not None:
        change = f": {window.change}" if window.change else ""
        return f"{window.signal} on {window.component}{change} (chart)"
    if ref in h.tool_results:
        result = h.tool_results[ref]
        tool = result.get("tool", "tool") if isinstance(result, dict) else "tool"
        return f"{tool} result ({ref})"
    return f"{ref} (not stored any more)"


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(1, limit - 1)] + "…"


class HypothesisDetail(Static):
    """The reason and the refutation wrap (they are the point); each evidence line is clipped to
    one row so the runbook steps below stay near at 80 columns."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: tuple[HypothesisRow | None, Sequence[EventRow], Sequence[WindowRow]] = (None, (), ())

    def on_resize(self) -> None:
        self.show(*self._shown)

    def show(self, h: HypothesisRow | None, events: Sequence[EventRow], windows: Sequence[WindowRow]) -> None:
        self._shown = (h, events, windows)
        self.display = h is not None
        if h is None:
            return
        width = (self.size.width or 200) - 2  # room for the pane's scrollbar when it appears
        head = tone(self.app, "primary")
        out = Text()
        out.append(f"#{h.rank or '-'} why: ", style=f"bold {head}".strip())
        out.append(" ".join(h.summary.split()))
        out.append(f"\nevidence ({len(h.evidence)}, e jumps):", style=f"bold {head}".strip())
        if not h.evidence:
            out.append(" none cited", style="dim")
        for i, ref in enumerate(h.evidence):
            note = h.notes[i] if i < len(h.notes) else ""
            what = f"  {i + 1}. {evidence_line(ref, h, events, windows)}"
            out.append("\n" + clip(what, width))
            if note:
                out.append("\n" + clip(f"     {' '.join(note.split())}", width), style="dim")
        out.append("\nrefuted if: ", style=f"bold {head}".strip())
        if h.refutation:
            out.append(" ".join(h.refutation.split()))
        else:
            out.append("no refutation recorded", style="dim")
        self.update(out)
