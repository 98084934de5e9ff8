"""The timeline table: every event in time order, filtered by kind or text, with pins."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from incident.app.queries import EventRow
from tui.widgets import MOVE_KEYS

PINNED = "pinned"
"""Pseudo-kind of the kind filter: only pinned events."""
FIXED = (1 + 8 + 14 + 12) + 2 * 5 + 2
"""Width of every column but the summary, cell padding and the scrollbar included."""


class TimelineTable(DataTable[Any]):
    BINDINGS = MOVE_KEYS

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.events: list[EventRow] = []
        self.pins: set[str] = set()
        self.kinds: set[str] = set()
        """Shown kinds (and/or :data:`PINNED`); empty = everything."""
        self.search = ""
        self.shown: list[EventRow] = []
        self._width = 0

    def on_mount(self) -> None:
        self._columns()

    def _columns(self) -> None:
        self.clear(columns=True)
        self._width = self.size.width
        self.add_column("", width=1, key="pin")
        self.add_column("time", width=8, key="time")
        self.add_column("kind", width=14, key="kind")
        self.add_column("source", width=12, key="source")
        self.add_column("what", width=max(24, self.size.width - FIXED), key="what")

    def on_resize(self) -> None:
        """Columns follow the width; the cursor stays on its event (the table is first sized when
        its tab opens, which is after an evidence jump put the cursor on the cited event)."""
        if self.size.width != self._width:
            keep = self.current_id
            self._columns()
            self._render_rows(keep=keep, scroll=True)

    @property
    def current_id(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def _shown(self, e: EventRow) -> bool:
        if self.kinds:
            kinds = self.kinds - {PINNED}
            in_kind = not kinds or e.kind in kinds
            if not in_kind or (PINNED in self.kinds and e.id not in self.pins):
                return False
        return not self.search or self.search.lower() in f"{e.kind} {e.source} {e.summary}".lower()

    def show(self, events: list[EventRow], *, pins: set[str] | None = None) -> None:
        if events == self.events and (pins is None or pins == self.pins):
            return
        self.events = list(events)
        if pins is not None:
            self.pins = pins
        self._render_rows()

    def set_filter(self, *, kinds: set[str] | None = None, search: str | None = None) -> None:
        if kinds is not None:
            self.kinds = kinds
        if search is not None:
            self.search = search
        self._render_rows()

    def _render_rows(self, *, keep: str | None = None, scroll: bool = False) -> None:
        keep = keep or self.current_id
        self.clear()
        self.shown = [e for e in self.events if self._shown(e)]
        for e in self.shown:
            self.add_row(
                "★" if e.id in self.pins else "",
                f"{e.at:%H:%M:%S}",
                e.kind,
                Text(e.source, no_wrap=True, overflow="ellipsis"),
                Text(" ".join(e.summary.split()), no_wrap=True, overflow="ellipsis"),
                key=e.id,
            )
        if keep is not None and any(e.id == keep for e in self.shown):
            self.move_cursor(row=self.get_row_index(keep), scroll=scroll, animate=False)

    def go_to(self, event_id: str) -> bool:
        """Put the cursor on an event, clearing filters that hide it; False when it is not here."""
        if not any(e.id == event_id for e in self.events):
            return False
        if not any(e.id == event_id for e in self.shown):
            self.set_filter(kinds=set(), search="")
        self.move_cursor(row=self.get_row_index(event_id), animate=False)
        return True

    def toggle_pin(self, event_id: str, pinned: bool) -> None:
        self.pins = self.pins | {event_id} if pinned else self.pins - {event_id}
        self.update_cell(event_id, "pin", "★" if pinned else "")
