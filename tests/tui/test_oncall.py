"""Pilot tests of issue 12's on-call behaviour: the first evidence jump lands on the cited event,
A and R confirm naming the alerts still firing, the postmortem export never overwrites a draft,
and the hypothesis detail pane shows the full reason, evidence and what would refute it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from textual.widgets import Button, Static

from incident import service
from incident.config import Settings
from incident.hypotheses import Evidence, HypothesisDraft, save_hypotheses
from incident.models import Alert
from incident.store import Store
from incident.timeline import log_event
from tests.tui.conftest import PAGE, World, settle, step
from tui.app import make_app
from tui.screens.confirm_status import ConfirmStatusScreen
from tui.screens.incident_view import IncidentViewScreen
from tui.widgets.actions import ActionsTable
from tui.widgets.hypothesis_detail import HypothesisDetail
from tui.widgets.incident_table import IncidentTable
from tui.widgets.key_footer import KeyFooter
from tui.widgets.timeline import TimelineTable

pytestmark = pytest.mark.anyio


def cite_a_later_event(world: World) -> str:
    """A top hypothesis whose only evidence is not the timeline's first row."""
    with world.store.session() as s:
        later = log_event(
            s,
            incident_id=world.checkout,
            kind="k8s_event",
            key="k8sevent/late",
            at=PAGE - timedelta(seconds=30),
            source="kubernetes",
            summary="Warning BackOff on pod/checkout-1",
            component="checkout",
        )
        draft = HypothesisDraft(
            kind="crashloop",
            component="checkout",
            confidence=0.95,
            summary="checkout pods back off",
            evidence=[Evidence(ref=later)],
        )
        save_hypotheses(s, world.checkout, [draft], source="agent", at=PAGE)
    return later


async def open_view(pilot: Any, incident_id: int) -> IncidentViewScreen:
    await settle(pilot)
    pilot.app.open_incident(incident_id)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, IncidentViewScreen)
    return screen


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_first_evidence_jump_lands_on_the_cited_event(
    world: World, settings: Settings, size: tuple[int, int]
) -> None:
    cited = cite_a_later_event(world)
    app = make_app(settings, world.store)
    async with app.run_test(size=size) as pilot:
        screen = await open_view(pilot, world.checkout)
        table = screen.query_one(TimelineTable)
        assert table.shown[0].id != cited
        await pilot.press("e")
        await settle(pilot)
        assert screen.query_one("#tabs").active == "timeline"
        assert table.current_id == cited
        assert table.cursor_row == table.get_row_index(cited)


def add_alerts(world: World) -> None:
    """Two alerts on the checkout incident: one still firing, one resolved."""
    with world.store.session() as s:
        for n, (name, status) in enumerate([("HighErrorRatio", "firing"), ("LatencyHigh", "resolved")]):
            s.add(
                Alert(
                    incident_id=world.checkout,
                    source="alertmanager",
                    fingerprint=f"fp{n}",
                    name=name,
                    status=status,
                    component="checkout",
                    severity="critical",
                    starts_at=PAGE + timedelta(minutes=n),
                    ends_at=PAGE + timedelta(minutes=5) if status == "resolved" else None,
                )
            )


def status_of(store: Store, incident_id: int) -> str:
    with store.session() as s:
        incident = service.get(s, incident_id=incident_id)
        assert incident is not None
        return incident.status


@pytest.mark.parametrize(("key", "status"), [("A", "acknowledged"), ("R", "resolved")])
async def test_acknowledge_and_resolve_confirm_naming_the_alerts_still_firing(
    world: World, settings: Settings, key: str, status: str
) -> None:
    add_alerts(world)
    app = make_app(settings, world.store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_view(pilot, world.checkout)
        await pilot.press(key)
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmStatusScreen)
        text = str(dialog.query_one("#status-alerts", Static).render())
        assert "Still firing (1)" in text and "HighErrorRatio on checkout" in text and "LatencyHigh" not in text
        await pilot.press("escape")  # cancel: nothing changes
        await settle(pilot)
        assert app.screen is screen and status_of(world.store, world.checkout) == "triggered"
        await pilot.press(key, "y")
        await settle(pilot)
        assert app.screen is screen
    assert status_of(world.store, world.checkout) == status


async def test_the_confirmation_says_when_no_alert_fires(world: World, settings: Settings) -> None:
    app = make_app(settings, world.store)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_view(pilot, world.checkout)
        await pilot.press("R")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmStatusScreen)
        assert "No alert of this incident is firing" in str(app.screen.query_one("#status-alerts", Static).render())


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_detail_pane_shows_the_whole_reason_evidence_and_refutation(
    world: World, settings: Settings, size: tuple[int, int]
) -> None:
    with world.store.session() as s:
        draft = HypothesisDraft(
            kind="config_change",
            component="checkout",
            confidence=0.9,
            summary="checkout's config map changed; the second clause only the detail shows",
            refutation="errors that started before the config change",
            evidence=[Evidence(ref=world.deploy_event, note="same minute as the change")],
        )
        second = HypothesisDraft(
            kind="network",
            component="checkout",
            confidence=0.4,
            summary="checkout's errors come from the network",
            evidence=[Evidence(ref=world.error_window)],
        )
        save_hypotheses(s, world.checkout, [draft, second], source="agent", at=PAGE)
    app = make_app(settings, world.store)
    async with app.run_test(size=size) as pilot:
        screen = await open_view(pilot, world.checkout)
        pane = screen.query_one(HypothesisDetail)
        text = str(pane.render())
        assert "the second clause only the detail shows" in text
        assert "refuted if: errors that started before the config change" in text
        assert "checkout rolled out revision 8" in text and "same minute as the change" in text
        assert pane.region.height > 0  # on screen, also at 80x24
        await pilot.press("down")  # the next hypothesis: the pane follows
        await settle(pilot)
        text = str(pane.render())
        assert "#2 why: checkout's errors come from the network" in text
        assert "error_ratio on checkout" in text and "no refutation recorded" in text


async def test_at_80x24_the_top_hypothesis_action_is_visible(world: World, settings: Settings) -> None:
    """Five hypotheses (as the demo has) must not push the pending rollback below the screen."""
    undo = step(
        1,
        "action",
        "Roll back deployment checkout in shop to revision 7",
        action={"type": "kubernetes.rollout_undo", "params": {"namespace": "shop", "deployment": "checkout"}},
    )
    drafts = [
        HypothesisDraft(
            kind="deploy_regression",
            component="checkout",
            confidence=0.7,
            summary="checkout rolled out revision 8",
            evidence=[Evidence(ref=world.deploy_event)],
            steps=[undo],
        ),
        *[
            HypothesisDraft(kind="unknown", component=f"svc{n}", confidence=0.2 - n / 100, summary=f"svc{n} moved")
            for n in range(4)
        ],
    ]
    with world.store.session() as s:
        save_hypotheses(s, world.checkout, drafts, source="analyzer", at=PAGE)
    app = make_app(settings, world.store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_view(pilot, world.checkout)
        table = screen.query_one(ActionsTable)
        assert [a.status for a in table.items][:1] == ["proposed"]
        assert table.region.height >= 2  # the header and the pending rollback
        assert table.region.bottom <= screen.query_one(KeyFooter).region.y


async def test_resolved_incidents_list_below_open_ones(world: World, settings: Settings) -> None:
    with world.store.session() as s:
        newest = service.get(s, incident_id=world.checkout)
        assert newest is not None
        newest.status = "resolved"  # the newest page, resolved: it goes below the open ones
    app = make_app(settings, world.store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(IncidentTable)
        assert [r.id for r in table.items] == [world.paged, world.checkout, world.resolved]


async def test_the_status_buttons_follow_the_incident(world: World, settings: Settings) -> None:
    app = make_app(settings, world.store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_view(pilot, world.checkout)
        ack, resolve = screen.query_one("#ack", Button), screen.query_one("#resolve", Button)
        assert not ack.disabled and "Acknowledge" in str(ack.label)
        await pilot.press("A", "y")
        await settle(pilot)
        assert ack.disabled and str(ack.label) == "✓ Acknowledged" and not resolve.disabled
        await pilot.press("A")  # already acknowledged: no dialog
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("R", "y")
        await settle(pilot)
        assert resolve.disabled and str(resolve.label) == "✓ Resolved"
