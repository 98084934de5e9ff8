"""A footer that never hides a key: when the screen's keys do not fit on one row (an 80-column
terminal over SSH), it packs them onto as many rows as they need instead of cutting the last ones off."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PALETTE_WIDTH = 14
"""Room kept on the right for the command palette key (``^p palette``)."""


def key_width(key: FooterKey) -> int:
    """Cells a compact key takes: ``key description`` and its right margin."""
    return len(key.key_display) + 1 + len(key.description) + 1


def pack(widths: list[int], available: int) -> list[int]:
    """Greedy row breaks: how many keys go on each row so none is wider than ``available``."""
    rows: list[int] = []
    used = count = 0
    for w in widths:
        if count and used + w > available:
            rows.append(count)
            used = count = 0
        used += w
        count += 1
    if count:
        rows.append(count)
    return rows


class KeyFooter(Footer):
    DEFAULT_CSS = """
    KeyFooter.-wrapped {
        layout: vertical;
    }
    KeyFooter .key-row {
        width: 1fr;
        height: 1;
    }
    """

    def __init__(self) -> None:
        super().__init__(compact=True)
        self._width = 0

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        keys = [w for w in widgets if isinstance(w, FooterKey) and not w.has_class("-command-palette")]
        others: list[Widget] = [w for w in widgets if w not in keys]
        available = (self._width or self.app.size.width) - PALETTE_WIDTH
        rows = pack([key_width(k) for k in keys], available)
        grouped = any(not isinstance(w, FooterKey) for w in others)  # binding groups: leave Textual's layout alone
        wrapped = len(rows) > 1 and not grouped
        self.set_class(wrapped, "-wrapped")
        self.styles.height = len(rows) if wrapped else 1
        if not wrapped:
            yield from widgets
            return
        yield from others  # the palette key, docked right
        start = 0
        for count in rows:
            yield HorizontalGroup(*keys[start : start + count], classes="key-row")
            start += count

    def on_resize(self, event: Resize) -> None:
        if event.size.width != self._width:
            self._width = event.size.width
            self.refresh(recompose=True)
