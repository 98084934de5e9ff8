"""SVG snapshots of the main screens at 80x24 and 120x40 on the deterministic store.

Update them after an intended change with ``pytest tests/tui --snapshot-update``.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from incident.config import Settings
from tests.tui.conftest import World, settle
from tui.app import make_app
from tui.widgets.incident_table import IncidentTable

SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_incident_list(snap_compare: Any, world: World, settings: Settings, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)

    assert snap_compare(make_app(settings, world.store), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_incident_view(snap_compare: Any, world: World, settings: Settings, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        table = pilot.app.screen.query_one(IncidentTable)
        table.move_cursor(row=table.get_row_index(str(world.checkout)))
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(make_app(settings, world.store), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_timeline_tab(snap_compare: Any, world: World, settings: Settings, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        pilot.app.open_incident(world.checkout)
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)

    assert snap_compare(make_app(settings, world.store), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_quarantined_alerts(
    snap_compare: Any, two_quarantined: World, settings: Settings, size: tuple[int, int]
) -> None:
    """The list's notice leads to the quarantined alerts; a markup-looking reason is shown as it came."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("Q")
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)

    assert snap_compare(make_app(settings, two_quarantined.store), terminal_size=size, run_before=run_before)
