"""Quarantined alerts: ones refused as invalid (kept raw with the reason, never opened as incidents),
newest first; enter shows the raw payload. Reasons, labels and payloads are hostile input, so every
cell is a plain :class:`~rich.text.Text` (never parsed as markup)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from incident.app import queries
from incident.app.queries import QuarantinedView
from tui.messages import QuarantineLoaded, StoreChanged
from tui.screens.event_detail import FactsScreen
from tui.widgets import MOVE_KEYS
from tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from tui.app import IncidentApp

WIDE = 110
"""From this width the labels get their own column; below, they are on the line under the table."""


def plain(text: str) -> Text:
    return Text(text, no_wrap=True, overflow="ellipsis")


def via(row: QuarantinedView) -> str:
    return f"{row.source} {row.channel}"


class QuarantineTable(DataTable[Any]):
    BINDINGS = MOVE_KEYS

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.items: list[QuarantinedView] = []
        self._width = 0

    def on_mount(self) -> None:
        self._columns()

    def on_resize(self) -> None:
        if self.size.width != self._width:
            self._columns()
            self.show(self.items)

    def _columns(self) -> None:
        self._width = self.size.width
        wide = self._width >= WIDE
        columns = [("when", 19 if wide else 14), ("via", 20)] + ([("labels", 34)] if wide else [])
        self.clear(columns=True)
        for label, width in columns:
            self.add_column(label, width=width, key=label)
        fixed = sum(width + 2 for _, width in columns) + 4
        self.add_column("reason", width=max(16, self._width - fixed), key="reason")

    @property
    def wide(self) -> bool:
        return self._width >= WIDE

    @property
    def current(self) -> QuarantinedView | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return next((r for r in self.items if str(r.id) == key), None)

    def show(self, rows: list[QuarantinedView]) -> None:
        keep = self.current
        self.items = list(rows)
        self.clear()
        for r in self.items:
            when = f"{r.received_at:%Y-%m-%d %H:%M:%S}" if self.wide else f"{r.received_at:%m-%d %H:%M:%S}"
            cells = [plain(when), plain(via(r))] + ([plain(r.labels or "-")] if self.wide else [])
            self.add_row(*cells, plain(r.reason), key=str(r.id))
        if keep is not None:
            index = next((i for i, r in enumerate(self.items) if r.id == keep.id), None)
            if index is not None:
                self.move_cursor(row=index)


class QuarantinedAlertScreen(FactsScreen):
    """One quarantined alert: the facts, then its raw payload pretty-printed."""

    heading = "Quarantined alert"

    def __init__(self, row: QuarantinedView) -> None:
        super().__init__()
        self.row = row

    def facts(self) -> list[tuple[str, str]]:
        r = self.row
        return [
            ("when", f"{r.received_at:%Y-%m-%d %H:%M:%S} UTC"),
            ("via", via(r)),
            ("labels", r.labels or "-"),
            ("fingerprint", r.fingerprint or "-"),
            ("reason", r.reason),
            ("id", str(r.id)),
        ]

    def body(self) -> str | None:
        return self.row.raw


class QuarantineScreen(Screen[None]):
    HELP_NAME = "Quarantined alerts"
    CSS_PATH = "quarantine.tcss"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("enter", "raw", "Raw payload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.total = 0
        self.loaded = False

    @property
    def copilot(self) -> IncidentApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading quarantined alerts…", id="quarantine-count", markup=False)
        yield QuarantineTable(id="quarantined")
        yield Static(id="quarantine-selected", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "quarantined alerts"
        self.query_one(QuarantineTable).focus()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="quarantine")
    def load(self) -> None:
        total, rows = queries.quarantined(self.copilot.store)
        self.post_message(QuarantineLoaded(total, rows))

    def on_store_changed(self, _: StoreChanged) -> None:
        self.load()

    def on_quarantine_loaded(self, message: QuarantineLoaded) -> None:
        self.total, self.loaded = message.total, True
        table = self.query_one(QuarantineTable)
        table.show(message.rows)
        count = self.query_one("#quarantine-count", Static)
        if not message.total:
            count.update("No alert has been quarantined. Alerts refused as invalid would be listed here.")
        else:
            shown = f", the newest {len(message.rows)} shown" if message.total > len(message.rows) else ""
            count.update(
                f"{message.total} alert(s) refused as invalid and kept raw, never opened as incidents"
                f"{shown}; newest first, enter shows the payload."
            )
        self._show_selected()

    @on(DataTable.RowHighlighted, "#quarantined")
    def _show_selected(self) -> None:
        """The highlighted alert's labels and whole reason (the table cuts them)."""
        row = self.query_one(QuarantineTable).current
        line = self.query_one("#quarantine-selected", Static)
        line.display = row is not None
        if row is not None:
            line.update(Text(f"#{row.id} {row.labels or 'no labels'} · {row.reason}"))

    @on(DataTable.RowSelected, "#quarantined")
    def _selected(self) -> None:
        self.action_raw()

    def action_raw(self) -> None:
        row = self.query_one(QuarantineTable).current
        if row is not None:
            self.app.push_screen(QuarantinedAlertScreen(row))
