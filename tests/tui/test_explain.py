"""``x`` on the Diagnosis tab: why the highlighted hypothesis ranks where it does, in a read-only
modal that fits (scrolling) at 80x24."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console
from textual.containers import VerticalScroll
from textual.widgets import Static

from incident.config import Settings
from incident.models import Hypothesis
from tests.tui.conftest import World, settle
from tests.tui.test_app import open_checkout
from tui.app import make_app
from tui.screens.explain import ExplainScreen
from tui.widgets.hypotheses import HypothesisList

pytestmark = pytest.mark.anyio

WHY: dict[str, Any] = {
    "score": 0.62,
    "terms": [
        {"name": "change", "value": 0.9, "note": "rollout of checkout revision 8 at 13:59"},
        {"name": "timing", "value": 0.95, "note": "errors began 7 min after the rollout"},
        {"name": "metrics", "value": 0.7, "note": "error ratio 0.33% -> 19.1%"},
    ],
    "relevance": {"label": "the paged component", "connected": True, "hops": 0},
    "onset": "2026-01-13T14:06:00+00:00",
    "explains": ["the page on checkout"],
    "unexplained": ["frontend's latency"],
    "trigger": "rollout of checkout revision 8 at 13:59",
    "mechanism": None,
}


def _give_why(world: World) -> None:
    with world.store.session() as s:
        top = s.query(Hypothesis).filter_by(incident_id=world.checkout, rank=1).one()
        top.details = {
            "why": WHY,
            "memory": {"delta": 0.06, "prior": 0.62, "because": "confirmed by bob on #9 (similar 80%)"},
        }
        top.refutation = "errors stay after rolling back to revision 7"


def _text(screen: ExplainScreen) -> str:
    """Everything the modal holds, scrolled out of view or not, as plain text."""
    console = Console(width=76, record=True, file=io.StringIO())
    for static in screen.query(Static):
        console.print(static.content)
    return console.export_text()


async def test_x_explains_the_highlighted_hypothesis_at_80x24(world: World, settings: Settings) -> None:
    _give_why(world)
    app = make_app(settings, world.store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_checkout(pilot, world)
        await pilot.press("x")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ExplainScreen) and modal.hypothesis.rank == 1
        text = _text(modal)
        for term in WHY["terms"]:
            assert term["name"] in text and f"{term['value']:.2f}" in text
        assert "+0.06" in text and "confirmed by bob on #9" in text
        assert "would be refuted by: errors stay after rolling back to revision 7" in text
        assert "why #1 over #2:" in text and "the page on checkout" in text
        body = modal.query_one(VerticalScroll)
        assert body.region.right <= 80 and body.region.bottom <= 24
        assert body.max_scroll_y > 0  # it does not fit: it scrolls
        body.scroll_end(animate=False)
        await pilot.pause()
        assert body.scroll_y == body.max_scroll_y
        await pilot.press("escape")
        assert app.screen is screen


async def test_x_on_a_hypothesis_without_a_breakdown_says_so(world: World, settings: Settings) -> None:
    app = make_app(settings, world.store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_checkout(pilot, world)
        await pilot.press("j", "x")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ExplainScreen)
        assert modal.hypothesis.id == screen.query_one(HypothesisList).rows[1].id
        assert "no score breakdown is stored for this hypothesis" in _text(modal)
        await pilot.press("escape", "2", "x")  # x acts on the Diagnosis tab only
        await settle(pilot)
        assert app.screen is screen
