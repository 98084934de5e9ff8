"""A footer that never hides a key: when the screen's keys do not fit on one row (an 80-column
terminal over SSH), it wraps them onto a second row instead of cutting the last ones off."""

from __future__ import annotations

import math

from textual.app import ComposeResult
from textual.events import Resize
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PALETTE_WIDTH = 14
"""Room kept on the right for the command palette key (``^p palette``)."""


class KeyFooter(Footer):
    DEFAULT_CSS = """
    KeyFooter.-wrapped {
        layout: grid;
        height: 2;
        grid-rows: 1;
    }
    """

    def __init__(self) -> None:
        super().__init__(compact=True)
        self._width = 0

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        keys = [w for w in widgets if isinstance(w, FooterKey) and not w.has_class("-command-palette")]
        needed = sum(len(k.key_display) + len(k.description) + 2 for k in keys) + PALETTE_WIDTH
        available = self._width or self.app.size.width
        wrapped = bool(keys) and needed > available
        self.set_class(wrapped, "-wrapped")
        if wrapped:
            self.styles.grid_size_columns = math.ceil(len(keys) / 2)
        yield from widgets

    def on_resize(self, event: Resize) -> None:
        if event.size.width != self._width:
            self._width = event.size.width
            self.refresh(recompose=True)
