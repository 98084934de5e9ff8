"""Sparklines of the incident component's metric windows, each with its onset marked."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Label, ListItem, ListView, Sparkline

from incident.app.queries import WindowRow
from tui.widgets import MOVE_KEYS
from tui.widgets.format import tone


class OnsetMarker(Widget):
    """A ``▲`` under the sparkline's column where the change began (a row of its own, as wide
    as the sparkline, so the two line up at any terminal width)."""

    DEFAULT_CSS = "OnsetMarker { height: 1; }"

    def __init__(self, window: WindowRow, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.signal_window = window

    def render(self) -> Text:
        w = self.signal_window
        width = self.size.width
        if w.onset is None or width < 2:
            return Text("")
        span = (w.end - w.start).total_seconds() or 1.0
        col = round(max(0.0, min(1.0, (w.onset - w.start).total_seconds() / span)) * (width - 1))
        label = f" onset {w.onset:%H:%M}"
        text = " " * col + "▲" + label if col + 1 + len(label) <= width else " " * (col - len(label)) + label + "▲"
        return Text(text, style=tone(self.app, "error"))


class SignalItem(ListItem):
    def __init__(self, window: WindowRow, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.signal_window = window

    def compose(self) -> ComposeResult:
        w = self.signal_window
        with Horizontal(classes="signal"):
            yield Label(w.signal if w.component else w.signal, classes="signal-name")
            with Vertical(classes="signal-plot"):
                yield Sparkline([v for _, v in w.points] or [0.0])
                yield OnsetMarker(w)
            yield Label(w.change or "", classes="signal-change")


class SignalList(ListView):
    """One item per signal; enter opens the full-size chart."""

    BINDINGS = MOVE_KEYS

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.windows: list[WindowRow] = []

    @property
    def current(self) -> WindowRow | None:
        item = self.highlighted_child
        return item.signal_window if isinstance(item, SignalItem) else None

    def show(self, windows: list[WindowRow], component: str | None) -> None:
        mine = [w for w in windows if w.component == component]
        if [(w.id, w.points, w.onset) for w in mine] == [(w.id, w.points, w.onset) for w in self.windows]:
            return
        self.windows = mine
        index = self.index
        self.clear()
        self.extend(SignalItem(w, id=f"sig-{w.id}") for w in mine)
        if mine:
            self.index = min(index or 0, len(mine) - 1)
