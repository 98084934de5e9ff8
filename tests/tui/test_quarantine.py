"""Quarantined alerts in the TUI: the list's notice, Q's newest-first list, enter's raw payload, and
hostile reasons and payloads (markup-looking text, NUL, a huge body) shown as plain text."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.widgets import Static

from incident.config import Settings
from incident.quarantine import RAW_SHOWN
from tests.tui.conftest import MARKUP_REASON, World, add_quarantined, settle, wait_for
from tui.app import make_app
from tui.screens.help import HelpScreen
from tui.screens.incident_list import IncidentListScreen
from tui.screens.quarantine import QuarantinedAlertScreen, QuarantineScreen, QuarantineTable

SIZE = (120, 40)
pytestmark = pytest.mark.anyio


def text_of(widget: Static) -> str:
    content = widget.content
    return content.plain if isinstance(content, Text) else str(content)


async def test_the_notice_q_the_list_newest_first_enter_the_raw_payload_and_escape_back(
    two_quarantined: World, settings: Settings
) -> None:
    app = make_app(settings, two_quarantined.store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, IncidentListScreen)
        notice = app.screen.query_one("#quarantine-notice", Static)
        assert notice.display and "2 alerts quarantined" in text_of(notice) and "Q" in text_of(notice)
        assert app.screen.get_widget_at(notice.region.x + 2, notice.region.y)[0] is notice  # on screen, not covered

        await pilot.press("Q")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QuarantineScreen)
        table = screen.query_one(QuarantineTable)
        assert [r.labels for r in table.items] == ["alertname=Flood service=payments", "service=cart\\u0000[b]"]
        assert [r.channel for r in table.items] == ["webhook", "poll"]  # newest first
        cells = [table.get_row_at(i) for i in range(table.row_count)]
        assert all(isinstance(c, Text) for row in cells for c in row)  # never parsed as markup
        assert cells[1][-1].plain == MARKUP_REASON  # the brackets are shown as they came
        assert "2 alert(s)" in text_of(screen.query_one("#quarantine-count", Static))

        await pilot.press("enter")  # the newest: the huge payload, cut with a note
        await pilot.pause()
        assert isinstance(app.screen, QuarantinedAlertScreen)
        body = text_of(app.screen.query_one("#event-details", Static))
        assert '"alertname": "Flood"' in body and "more characters" in body
        assert len(body) < RAW_SHOWN + 200
        await pilot.press("escape")
        assert app.screen is screen

        await pilot.press("j")
        await pilot.pause()
        assert MARKUP_REASON in text_of(screen.query_one("#quarantine-selected", Static))
        await pilot.press("enter")  # the older: its NUL stays visible as an escape
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, QuarantinedAlertScreen) and modal.row.reason == MARKUP_REASON
        body = text_of(modal.query_one("#event-details", Static))
        assert '"service": "cart\\u0000[b]"' in body and "\x00" not in body
        await pilot.press("escape")
        await pilot.press("escape")
        assert isinstance(app.screen, IncidentListScreen)


async def test_no_notice_without_quarantined_alerts_and_one_appears_live(world: World, settings: Settings) -> None:
    app = make_app(settings, world.store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        notice = app.screen.query_one("#quarantine-notice", Static)
        assert not notice.display
        await pilot.press("Q")
        await settle(pilot)
        assert isinstance(app.screen, QuarantineScreen) and app.screen.query_one(QuarantineTable).row_count == 0
        assert "No alert has been quarantined" in text_of(app.screen.query_one("#quarantine-count", Static))
        await pilot.press("escape")
        # another process quarantines one while the list is shown
        add_quarantined(world.store, {"labels": {}}, "alerts[0].labels.alertname: missing", 3)
        assert await wait_for(pilot, lambda: notice.display and "1 alert quarantined" in text_of(notice))


async def test_the_help_of_the_list_names_q(world: World, settings: Settings) -> None:
    app = make_app(settings, world.store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and ("Q", "Quarantine") in app.screen.keys
