"""Help is titled by the screen's name as a person says it, and the incident screen's help explains
the runbook step markers and the verdict keys (it was titled "Keys: IncidentView" and explained neither)."""

from __future__ import annotations

import pytest

from incident.config import Settings
from tests.tui.conftest import World, settle
from tests.tui.test_oncall import open_view
from tui.app import make_app
from tui.screens.help import HelpScreen
from tui.screens.verdict import CHOICES
from tui.widgets.steps import MARK

pytestmark = pytest.mark.anyio


async def test_help_names_the_screen_and_explains_its_symbols(world: World, settings: Settings) -> None:
    app = make_app(settings, world.store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and app.screen.title_text == "Incident list"
        await pilot.press("escape")
        await pilot.pause()
        await open_view(pilot, world.checkout)
        await pilot.press("question_mark")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen) and help_screen.title_text == "Incident"
        explained = dict(help_screen.notes)
        assert set(MARK.values()) <= set(explained)  # every marker a step can show
        for _verdict, key, meaning in CHOICES:
            assert explained[f"v then {key}"] == meaning
