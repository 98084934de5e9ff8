"""The incident list: severity, status, age, component, owner team, on-call; filtered by text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from incident.app.queries import IncidentRow
from tui.widgets import MOVE_KEYS
from tui.widgets.format import SEVERITY_TONE, STATUS_TONE, age, toned

COLUMNS = (("sev", 8), ("status", 12), ("age", 7), ("#", 3), ("component", 14), ("owner", 14), ("on-call", 12))
NARROW = 5
"""Below :data:`WIDE` columns owner and on-call move to the line under the table."""
WIDE = 110


def matches(row: IncidentRow, query: str) -> bool:
    """Every word of ``query`` appears in some field (case-insensitive)."""
    hay = " ".join(
        str(v or "") for v in (row.id, row.title, row.status, row.severity, row.component, row.owner, row.oncall)
    ).lower()
    return all(word in hay for word in query.lower().split())


class IncidentTable(DataTable[Any]):
    BINDINGS = MOVE_KEYS

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.items: list[IncidentRow] = []
        self._width = 0
        self.wide = True
        self._now: datetime | None = None

    def on_mount(self) -> None:
        self._columns()

    def _columns(self) -> None:
        self._width = self.size.width
        self.wide = self._width >= WIDE
        columns = COLUMNS if self.wide else COLUMNS[:NARROW]
        self.clear(columns=True)
        for label, width in columns:
            self.add_column(label, width=width, key=label)
        fixed = sum(width + 2 for _, width in columns) + 4
        self.add_column("title", width=max(16, self._width - fixed), key="title")

    def on_resize(self) -> None:
        if self.size.width != self._width:
            self._columns()
            if self._now is not None:
                self.show(self.items, query="", now=self._now)

    @property
    def selected_id(self) -> int | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def show(self, rows: list[IncidentRow], *, query: str, now: datetime) -> None:
        keep = self.selected_id
        self._now = now
        shown = [r for r in rows if matches(r, query)] if query else list(rows)
        self.items = sorted(shown, key=lambda r: r.status == "resolved")  # open first; stable: newest first
        self.clear()
        for r in self.items:
            cells: list[Any] = [
                toned(self.app, r.severity or "-", SEVERITY_TONE.get(r.severity or ""), bold=True),
                toned(self.app, r.status, STATUS_TONE.get(r.status)),
                age(r.page_at, now),
                str(r.id),
                Text(r.component or "-", no_wrap=True, overflow="ellipsis"),
            ]
            if self.wide:
                cells += [
                    Text(r.owner or "-", no_wrap=True, overflow="ellipsis"),
                    Text(r.oncall or "-", no_wrap=True, overflow="ellipsis"),
                ]
            self.add_row(*cells, Text(r.title, no_wrap=True, overflow="ellipsis"), key=str(r.id))
        if keep is not None and any(r.id == keep for r in self.items):
            self.move_cursor(row=self.get_row_index(str(keep)), scroll=False)
