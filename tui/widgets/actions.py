"""Proposed actions awaiting approval, with their state; disallowed ones are marked with why."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from incident.app.queries import ActionRow
from tui.widgets import MOVE_KEYS
from tui.widgets.format import ACTION_TONE, toned


def state_label(a: ActionRow) -> tuple[str, str | None]:
    if not a.allowed and a.status == "proposed":
        return "not allowed", "error"
    label = "pending" if a.status == "proposed" else a.status
    return label, ACTION_TONE.get(a.status)


class ActionsTable(DataTable[Any]):
    BINDINGS = MOVE_KEYS

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", **kwargs)
        self.items: list[ActionRow] = []
        self._width = 0

    def on_mount(self) -> None:
        self._columns()

    def _columns(self) -> None:
        """Fixed widths from the widget's own: a refresh never re-flows the table."""
        self._width = self.size.width
        rest = max(30, self._width - 11 - 2 * 3 - 2)
        self.clear(columns=True)
        self.add_column("state", width=11, key="state")
        self.add_column("action", width=rest * 3 // 5, key="action")
        self.add_column("why not / result", width=rest - rest * 3 // 5, key="note")

    def on_resize(self) -> None:
        if self.size.width != self._width:
            self._columns()
            rows, self.items = self.items, []
            self.show(rows)

    @property
    def current(self) -> ActionRow | None:
        if not self.items:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return next((a for a in self.items if a.id == key), None)

    def show(self, rows: list[ActionRow]) -> None:
        if rows == self.items:
            return
        keep = self.current.id if self.current else None
        self.items = list(rows)
        self.clear()
        for a in rows:
            label, tone_name = state_label(a)
            note = a.disallowed_reason if not a.allowed else (a.error or "")
            self.add_row(
                toned(self.app, label, tone_name, bold=True),
                Text(a.title if a.target in a.title else f"{a.title} ({a.target})", no_wrap=True, overflow="ellipsis"),
                Text(note or "", no_wrap=True, overflow="ellipsis"),
                key=a.id,
            )
        if keep is not None and any(a.id == keep for a in rows):
            self.move_cursor(row=self.get_row_index(keep), scroll=False)
