"""The incident list: live, newest page first; / filters by any field, enter opens; a notice
counts quarantined alerts (Q lists them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static

from incident.app import queries
from tui import data
from tui.messages import IncidentsLoaded, QuarantineLoaded, StoreChanged
from tui.screens.quarantine import QuarantineScreen
from tui.widgets.format import stamp
from tui.widgets.incident_table import IncidentTable
from tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from tui.app import IncidentApp


class IncidentListScreen(Screen[None]):
    HELP_NAME = "Incident list"
    CSS_PATH = "incident_list.tcss"
    BINDINGS = [
        Binding("enter", "open", "Open"),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("Q", "quarantine", "Quarantine"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[queries.IncidentRow] = []
        self.loaded = False
        self.quarantined = 0

    @property
    def copilot(self) -> IncidentApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="filter: words in title, component, owner, status...", id="filter")
        yield Static(id="quarantine-notice", markup=False)
        yield IncidentTable(id="incidents")
        yield Static("Loading incidents…", id="empty")
        yield Static(id="selected")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "incidents"
        self.query_one("#filter", Input).display = False
        self.query_one("#filter", Input).cursor_blink = self.copilot.cursor_blink
        self.query_one(IncidentTable).focus()
        self.query_one("#quarantine-notice", Static).display = False
        self.set_interval(30, self.render_rows)  # ages move on even when the store does not
        self.load()
        self.count_quarantined()

    @work(thread=True, exclusive=True, exit_on_error=False, group="incidents")
    def load(self) -> None:
        self.post_message(IncidentsLoaded(queries.list_incidents(self.copilot.store)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="quarantine-count")
    def count_quarantined(self) -> None:
        total, _ = queries.quarantined(self.copilot.store, limit=0)
        self.post_message(QuarantineLoaded(total, []))

    def on_store_changed(self, _: StoreChanged) -> None:
        self.load()
        self.count_quarantined()

    def on_quarantine_loaded(self, message: QuarantineLoaded) -> None:
        self.quarantined = message.total
        notice = self.query_one("#quarantine-notice", Static)
        notice.display = message.total > 0
        plural = "alert" if message.total == 1 else "alerts"
        notice.update(f"⚠ {message.total} {plural} quarantined as invalid — Q lists them")

    def on_incidents_loaded(self, message: IncidentsLoaded) -> None:
        self.rows, self.loaded = message.rows, True
        self.render_rows()

    def render_rows(self) -> None:
        table = self.query_one(IncidentTable)
        query = self.query_one("#filter", Input).value
        table.show(self.rows, query=query, now=data.now())
        self._show_selected()
        empty = self.query_one("#empty", Static)
        empty.display = not table.items
        if not self.rows:
            empty.update("No incidents in the store yet. `incident watch` opens them as pages arrive.")
        elif not table.items:
            empty.update(f"No incident matches {query!r} (esc clears the filter).")

    @on(DataTable.RowHighlighted, "#incidents")
    def _show_selected(self) -> None:
        """The highlighted incident's owner, on-call and page, under a table too narrow for them."""
        table = self.query_one(IncidentTable)
        row = next((r for r in table.items if r.id == table.selected_id), None)
        line = self.query_one("#selected", Static)
        line.display = row is not None and not table.wide
        if row is not None:
            line.update(
                f"#{row.id} {row.component or '-'} · owner {row.owner or '-'} · on-call {row.oncall or '-'}"
                f" · paged {stamp(row.page_at)} via {row.source}"
            )

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.value or box.display:
            box.value = ""
            box.display = False
            self.query_one(IncidentTable).focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self.render_rows()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one(IncidentTable).focus()

    @on(DataTable.RowSelected, "#incidents")
    def _selected(self) -> None:
        self.action_open()

    def action_quarantine(self) -> None:
        self.app.push_screen(QuarantineScreen())

    def action_open(self) -> None:
        incident_id = self.query_one(IncidentTable).selected_id
        if incident_id is not None:
            self.copilot.open_incident(incident_id)
