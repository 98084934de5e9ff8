"""A full-size chart of one signal's window (textual-plotext), the onset as a vertical line."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static
from textual_plotext import PlotextPlot

from incident.app.queries import WindowRow
from tui.widgets.key_footer import KeyFooter


class ChartScreen(Screen[None]):
    HELP_NAME = "Chart"
    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("q", "app.pop_screen", "Back", show=False)]

    def __init__(self, window: WindowRow) -> None:
        super().__init__()
        self.signal_window = window

    def compose(self) -> ComposeResult:
        w = self.signal_window
        change = f" · {w.change}" if w.change else ""
        onset = f" · onset {w.onset:%H:%M} UTC" if w.onset else ""
        yield Static(f"{w.component} · {w.signal}{change}{onset}", id="chart-title")
        yield PlotextPlot(id="chart")
        yield KeyFooter()

    def on_mount(self) -> None:
        w = self.signal_window
        plt = self.query_one(PlotextPlot).plt
        start = w.start.timestamp()
        xs = [(t - start) / 60 for t, _ in w.points]
        plt.plot(xs, [v for _, v in w.points], marker="braille")
        if w.onset is not None:
            plt.vline((w.onset.timestamp() - start) / 60)
        plt.xlabel(f"minutes from {w.start:%H:%M} UTC")
        plt.title(w.signal)
