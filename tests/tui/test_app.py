"""Pilot tests of the on-call flows: open, filter, inspect a hypothesis and its evidence, the
timeline's kind filter and pins, approvals (dry run, execute, reject, disallowed), live refresh."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from incident import service
from incident.config import Settings
from incident.models import Incident, TimelineEvent
from incident.store import Store
from tests.conftest import SCENARIOS
from tests.tui.conftest import NOW, PAGE, World, settle, wait_for
from tui.app import IncidentApp, make_app
from tui.screens.chart import ChartScreen
from tui.screens.incident_list import IncidentListScreen
from tui.screens.incident_view import IncidentViewScreen
from tui.screens.kind_filter import KindFilterScreen, KindList
from tui.widgets.actions import ActionsTable
from tui.widgets.hypotheses import HypothesisList
from tui.widgets.incident_table import IncidentTable
from tui.widgets.timeline import TimelineTable

SIZE = (120, 40)
pytestmark = pytest.mark.anyio


async def open_checkout(pilot, world: World) -> IncidentViewScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    table = pilot.app.screen.query_one(IncidentTable)
    table.move_cursor(row=table.get_row_index(str(world.checkout)))
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, IncidentViewScreen)
    return screen


async def test_open_an_incident_from_the_list(world: World, settings: Settings) -> None:
    app = make_app(settings, world.store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, IncidentListScreen)
        table = app.screen.query_one(IncidentTable)
        assert [r.id for r in table.items] == [world.checkout, world.paged, world.resolved]  # newest page first
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, IncidentViewScreen) and app.screen.incident_id == world.checkout
        assert app.screen.detail is not None and app.screen.detail.incident.title.startswith("checkout:")
        await pilot.press("escape")
        assert isinstance(app.screen, IncidentListScreen)


async def test_slash_filters_the_list_and_esc_clears_it(world: World, settings: Settings) -> None:
    app = make_app(settings, world.store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"budget")
        table = app.screen.query_one(IncidentTable)
        assert [r.id for r in table.items] == [world.paged]
        await pilot.press("enter", "escape")
        assert len(table.items) == 3


async def test_hypothesis_evidence_jumps_to_the_timeline_then_the_chart(world: World, settings: Settings) -> None:
    app = make_app(settings, world.store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkout(pilot, world)
        hyps = screen.query_one(HypothesisList)
        assert hyps.current is not None and hyps.current.kind == "deploy_regression"
        assert [round(h.confidence, 2) for h in hyps.rows] == [0.68, 0.31]
        await pilot.press("e")  # first evidence: the deploy event
        assert screen.query_one("#tabs").active == "timeline"
        assert screen.query_one(TimelineTable).current_id == world.deploy_event
        await pilot.press("1", "e")  # second: the error-ratio window, charted
        await pilot.pause()
        assert isinstance(app.screen, ChartScreen) and app.screen.signal_window.id == world.error_window
        assert app.screen.signal_window.onset == PAGE - timedelta(minutes=1)
        await pilot.press("escape")
        assert app.screen is screen


async def test_timeline_filters_by_kind(world: World, settings: Settings) -> None:
    app = make_app(settings, world.store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkout(pilot, world)
        table = screen.query_one(TimelineTable)
        assert {e.kind for e in table.shown} >= {"deploy", "pod_state", "alert", "hypothesis"}
        await pilot.press("f")  # f acts on the timeline tab only
        assert app.screen is screen
        await pilot.press("2", "f")
        assert isinstance(app.screen, KindFilterScreen)
        app.screen.query_one(KindList).select("pod_state")
        await pilot.press("escape")
        assert {e.kind for e in table.shown} == {"pod_state"} and len(table.shown) == 2
        await pilot.press("f", "x")  # show all again
        assert len(table.shown) == len(table.events)


async def test_enter_on_a_timeline_row_shows_the_whole_event(world: World, settings: Settings) -> None:
    from textual.widgets import Static

    from tui.screens.event_detail import EventDetailScreen

    app = make_app(settings, world.store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkout(pilot, world)
        await pilot.press("2")
        table = screen.query_one(TimelineTable)
        table.move_cursor(row=table.get_row_index(world.deploy_event))
        await pilot.press("enter")
        detail = app.screen
        assert isinstance(detail, EventDetailScreen) and detail.event.id == world.deploy_event
        text = str(detail.query_one("#event-details", Static).render())
        assert '"change_cause": "deploy checkout 2.15.0"' in text and '"to": "checkout:2.15.0"' in text
        await pilot.press("escape")
        assert app.screen is screen


async def test_pin_an_event_persists_across_sessions(world: World, settings: Settings) -> None:
    app = make_app(settings, world.store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkout(pilot, world)
        await pilot.press("2")
        table = screen.query_one(TimelineTable)
        table.move_cursor(row=table.get_row_index(world.deploy_event))
        await pilot.press("p")
        assert world.deploy_event in table.pins
        assert str(table.get_cell(world.deploy_event, "pin")) == "★"
    again = make_app(settings, world.store)
    async with again.run_test(size=SIZE) as pilot:
        screen = await open_checkout(pilot, world)
        assert screen.query_one(TimelineTable).pins == {world.deploy_event}


async def test_acknowledge_an_alertmanager_incident_changes_the_store(world: World, settings: Settings) -> None:
    app = make_app(settings, world.store)
    async with app.run_test(size=SIZE) as pilot:
        await open_checkout(pilot, world)
        await pilot.press("A")
        await settle(pilot)
        await pilot.press("y")  # the confirmation naming the alerts still firing
        await settle(pilot)
    with world.store.session() as s:
        incident = service.get(s, incident_id=world.checkout)
        assert incident is not None and incident.status == "acknowledged"
        states = [
            e.summary for e in s.query(TimelineEvent).filter_by(incident_id=world.checkout, kind="incident_state")
        ]
    assert any("acknowledged by alice" in text for text in states)


async def test_live_refresh_shows_another_sessions_write_within_two_seconds(world: World, settings: Settings) -> None:
    app = make_app(settings, world.store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        other = Store(world.store.url)  # another process' view of the same store
        try:
            with other.session() as s:
                s.add(Incident(dedup_key="alertmanager:cart:9", source="alertmanager", title="cart is down",
                               component="cart", page_at=PAGE + timedelta(minutes=5)))  # fmt: skip
            table = app.screen.query_one(IncidentTable)
            assert await wait_for(pilot, lambda: any(r.title == "cart is down" for r in table.items), timeout=2.0)
        finally:
            other.close()


# ---------------------------------------------------------------------- approvals


@pytest.fixture
def cluster() -> Iterator[object]:
    pytest.importorskip("incident.actions", reason="the actions backend (incident.actions) is not there yet")
    from incident.sandbox.kubernetes import KubernetesStandIn
    from incident.scenario import load_scenario

    stand_in = KubernetesStandIn(load_scenario(SCENARIOS / "checkout-bad-deploy")).start()
    yield stand_in
    stand_in.stop()


def with_cluster(settings: Settings, cluster) -> Settings:  # type: ignore[no-untyped-def]
    return settings.model_copy(update={"kubernetes": settings.kubernetes.model_copy(update=cluster.connector_config())})


def action_of(store: Store, incident_id: int, type_: str):  # type: ignore[no-untyped-def]
    from incident.actions import list_actions

    with store.session() as s:
        return next(a for a in list_actions(s, incident_id=incident_id) if a.type == type_)


async def test_approve_shows_the_dry_run_then_confirm_executes(world: World, settings: Settings, cluster) -> None:  # type: ignore[no-untyped-def]
    from tui.screens.confirm_action import ConfirmActionScreen

    settings = with_cluster(settings, cluster)
    app = make_app(settings, world.store)
    async with app.run_test(size=SIZE) as pilot:
        await open_checkout(pilot, world)
        await pilot.press("a")
        assert isinstance(app.screen, ConfirmActionScreen)
        await settle(pilot)
        preview = app.screen.preview
        assert preview is not None and preview.allowed and preview.error is None
        text = "\n".join(preview.lines)
        assert "8" in text and "7" in text and "2.14.3" in text  # revision 8 -> 7 and the image it restores
        assert action_of(world.store, world.checkout, "kubernetes.rollout_undo").status == "proposed"  # nothing ran
        await pilot.press("y")
        assert await wait_for(
            pilot, lambda: action_of(world.store, world.checkout, "kubernetes.rollout_undo").status == "succeeded", 15
        )
    deployment = cluster.store.get("Deployment", "shop", "checkout")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":2.14.3")
    assert action_of(world.store, world.checkout, "kubernetes.rollout_undo").approved_by == "alice"


async def test_two_tuis_cannot_both_execute_one_action(world: World, settings: Settings, cluster) -> None:  # type: ignore[no-untyped-def]
    """Two on-call engineers, two TUI processes' worth of state (own Store each) on one store file,
    both confirming the same rollback: it runs once."""
    from incident.actions import audit_log
    from tui.screens.confirm_action import ConfirmActionScreen

    settings = with_cluster(settings, cluster)
    first = make_app(settings, Store(world.store.url))
    second = make_app(settings, Store(world.store.url))
    async with first.run_test(size=SIZE) as p1, second.run_test(size=SIZE) as p2:
        await open_checkout(p1, world)
        await open_checkout(p2, world)
        undo = action_of(world.store, world.checkout, "kubernetes.rollout_undo")
        await p1.press("a")
        await p2.press("a")
        await settle(p1)
        await settle(p2)
        assert isinstance(first.screen, ConfirmActionScreen) and isinstance(second.screen, ConfirmActionScreen)
        await p1.press("y")
        await p2.press("y")
        assert await wait_for(p1, lambda: action_of(world.store, world.checkout, undo.type).status == "succeeded", 15)
        await settle(p2)
        await settle(p1)
    with world.store.session() as s:
        entries = [e.what for e in audit_log(s, incident_id=world.checkout) if e.action_id == undo.id]
    assert entries.count("approved") == 1 and entries.count("executing") == 1 and entries.count("succeeded") == 1


async def test_esc_on_the_confirmation_changes_nothing(world: World, settings: Settings, cluster) -> None:  # type: ignore[no-untyped-def]
    settings = with_cluster(settings, cluster)
    app = make_app(settings, world.store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkout(pilot, world)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
    assert action_of(world.store, world.checkout, "kubernetes.rollout_undo").status == "proposed"
    deployment = cluster.store.get("Deployment", "shop", "checkout")  # only the server-side dry run reached it
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":2.15.0")


async def test_reject_with_a_reason(world: World, settings: Settings, cluster) -> None:  # type: ignore[no-untyped-def]
    from tui.screens.reject import RejectScreen

    app = make_app(settings, world.store)
    async with app.run_test(size=SIZE) as pilot:
        await open_checkout(pilot, world)
        await pilot.press("r")
        assert isinstance(app.screen, RejectScreen)
        await pilot.press(*"canary first", "enter")
        await settle(pilot)
    action = action_of(world.store, world.checkout, "kubernetes.rollout_undo")
    assert action.status == "rejected" and action.reject_reason == "canary first"


async def test_a_disallowed_action_cannot_be_approved(world: World, settings: Settings, cluster) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, world.store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkout(pilot, world)
        table = screen.query_one(ActionsTable)
        scale = next(a for a in table.items if a.type == "kubernetes.scale")
        assert not scale.allowed and "kube-system" in (scale.disallowed_reason or "")
        assert "not allowed" in str(table.get_cell(scale.id, "state"))
        table.focus()
        table.move_cursor(row=table.get_row_index(scale.id))
        await pilot.press("a")
        await settle(pilot)
        assert app.screen is screen  # no confirmation screen
    assert action_of(world.store, world.checkout, "kubernetes.scale").status == "proposed"


async def test_acknowledging_a_pagerduty_incident_needs_a_confirmed_action(
    world: World, settings: Settings, cluster
) -> None:  # type: ignore[no-untyped-def]
    from tui.screens.confirm_action import ConfirmActionScreen

    app = make_app(settings, world.store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_incident(world.paged)
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        await pilot.press("y")  # confirmed here, then PagerDuty's change is a dry run to approve
        await settle(pilot)
        assert isinstance(app.screen, ConfirmActionScreen)
        assert app.screen.preview is not None and app.screen.preview.action.type == "pagerduty.acknowledge"
        assert not app.screen.can_execute  # no PagerDuty configured here: the dry run says why
        await pilot.press("escape")
    with world.store.session() as s:
        incident = service.get(s, incident_id=world.paged)
        assert incident is not None and incident.status == "triggered"


def test_make_app_is_the_one_factory(world: World, settings: Settings) -> None:
    app = make_app(settings, world.store)
    assert isinstance(app, IncidentApp) and app.store is world.store and app.settings is settings


async def test_agent_progress_from_the_watcher_thread_feeds_the_meter(world: World, settings: Settings) -> None:
    import threading
    from types import SimpleNamespace

    from incident.agent.events import AgentStarted, ToolCalled, Usage
    from tui.widgets.agent_meter import AgentMeter

    watcher = SimpleNamespace(on_agent_event=None, connectors=None)  # the one hook the app uses
    app = make_app(settings, world.store, watcher=watcher)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkout(pilot, world)
        assert watcher.on_agent_event is not None
        events = [
            AgentStarted(world.checkout, "claude-sonnet-4-6", 8),
            ToolCalled("get_logs", {}, 2),
            Usage(12300, 800, 0, 0.0421),
        ]
        thread = threading.Thread(target=lambda: [watcher.on_agent_event(e) for e in events])
        thread.start()
        meter = screen.query_one(AgentMeter)
        assert await wait_for(pilot, lambda: "$0.042" in str(meter.render()), timeout=3)
        thread.join()
        assert "step 2/8" in str(meter.render()) and "get_logs" in str(meter.render())
    assert watcher.on_agent_event is None


@pytest.mark.parametrize("tab", ["1", "2", "3", "4", "5"])
async def test_every_footer_key_is_visible_at_80_columns(world: World, settings: Settings, tab: str) -> None:
    from textual.widgets._footer import FooterKey

    app = make_app(settings, world.store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_checkout(pilot, world)
        await pilot.press(tab)
        await settle(pilot)
        keys = list(pilot.app.screen.query(FooterKey))
        shown = {k.key_display for k in keys}
        assert {"esc", "A", "R", "n", "P", "/", "1-5", "q", "?"} <= shown
        for key in keys:
            region = key.region
            assert region.width > 0 and region.right <= 80 and region.bottom <= 24, key.key_display


async def test_the_theme_comes_from_config(world: World) -> None:
    from incident.config import load_settings

    settings = load_settings(overlays=[{"tui": {"theme": "textual-light"}}])
    app = make_app(settings, world.store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert pilot.app.theme == "textual-light"
        assert not pilot.app.current_theme.dark


def test_an_unknown_theme_is_a_config_error_with_a_suggestion(world: World) -> None:
    from incident.config import load_settings
    from incident.errors import ConfigError

    settings = load_settings(overlays=[{"tui": {"theme": "textual-lite"}}])
    with pytest.raises(ConfigError, match="did you mean 'textual-light'"):
        make_app(settings, world.store)


async def test_a_verdict_marks_the_hypothesis_in_the_store_and_on_screen(world: World, settings: Settings) -> None:
    from incident.models import Hypothesis
    from tui.screens.verdict import VerdictScreen

    app = make_app(settings, world.store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkout(pilot, world)
        hyps = screen.query_one(HypothesisList)
        top = hyps.current
        assert top is not None and top.status == "proposed"
        await pilot.press("v")
        assert isinstance(app.screen, VerdictScreen)
        await pilot.press("c")
        await settle(pilot)
        with world.store.session() as s:
            row = s.get(Hypothesis, top.id)
            assert row is not None and (row.status, row.verdict_by) == ("confirmed", "alice")
            assert any(
                e.kind == "hypothesis" and "confirmed by alice" in e.summary
                for e in s.get(Incident, world.checkout).events
            )  # type: ignore[union-attr]
        assert hyps.current is not None and hyps.current.status == "confirmed"
        assert "✓ confirmed alice" in str(hyps.get_option_at_index(0).prompt)
        await pilot.press("v", "w")  # change of mind: wrong
        await settle(pilot)
        with world.store.session() as s:
            assert s.get(Hypothesis, top.id).status == "rejected"  # type: ignore[union-attr]


async def test_memory_shows_a_similar_past_incident_and_what_resolved_it(world: World, settings: Settings) -> None:
    from textual.widgets import Static

    from incident.timeline import log_event
    from tui.widgets.memory import MemoryPanel

    match = {
        "past_incident_id": world.resolved,
        "title": "checkout: more than 5% of requests fail",
        "score": 0.82,
        "status": "resolved",
        "reasons": ["same component checkout", "same kind deploy_regression"],
        "resolved_by": {
            "actions": [
                {"title": "Roll back deployment shop/checkout to revision 7", "status": "succeeded", "who": "bob"}
            ],
            "accepted": [{"kind": "deploy_regression", "component": "checkout", "summary": "bad release"}],
            "postmortem": "postmortems/incident-1.md",
        },
    }
    with world.store.session() as s:
        log_event(
            s,
            incident_id=world.checkout,
            kind="memory",
            key=f"memory/{world.resolved}",
            at=PAGE,
            source="memory",
            summary="similar to an earlier incident",
            details=match,
        )
    app = make_app(settings, world.store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checkout(pilot, world)
        line = str(screen.query_one("#memory-line", Static).render())
        assert f"#{world.resolved} 82% similar" in line and "Roll back deployment shop/checkout" in line
        await pilot.press("5")
        text = str(screen.query_one(MemoryPanel).query_one("#memory-text", Static).render())
        assert "same kind deploy_regression" in text and "confirmed cause: deploy_regression on checkout" in text
        assert "postmortem: postmortems/incident-1.md" in text and "(succeeded, bob)" in text


async def test_export_writes_the_postmortem_draft(world: World, store: Store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from incident.models import Postmortem

    settings = Settings(
        store={"url": store.url}, actions={"operator": "alice"}, postmortem={"export_dir": str(tmp_path)}
    )
    app = make_app(settings, world.store)
    async with app.run_test(size=SIZE) as pilot:
        await open_checkout(pilot, world)
        await pilot.press("P")
        await settle(pilot)
        said = [n.message for n in app._notifications]
        await pilot.press("P")  # a second export is a new file, next to the first
        await settle(pilot)
    path = tmp_path / f"postmortem-incident-{world.checkout}-{NOW:%Y-%m-%d}.md"
    assert any(str(path) in text for text in said)
    assert {p.name for p in tmp_path.glob("postmortem-*")} == {
        path.name,
        f"postmortem-incident-{world.checkout}-{NOW:%Y-%m-%d}-2.md",
    }
    text = path.read_text()
    assert text.startswith("# ") and "## Root cause and trigger" in text and "deploy_regression on checkout" in text
    with world.store.session() as s:
        rows = s.query(Postmortem).filter_by(incident_id=world.checkout).order_by(Postmortem.id).all()
        assert [r.path for r in rows][:1] == [str(path)] and rows[0].who == "alice"


async def test_evidence_from_an_agent_tool_result_opens_it(world: World, settings: Settings) -> None:
    from textual.widgets import Static

    from incident.hypotheses import Evidence, HypothesisDraft, save_hypotheses
    from tui.screens.event_detail import ToolResultScreen

    result = {"tool": "pod_logs", "args": {"pod": "frontend-1"}, "status": "ok", "content": "panic: nil map write"}
    draft = HypothesisDraft(
        kind="code_error",
        component="frontend",
        confidence=0.7,
        summary="frontend panics on a nil map",
        evidence=[Evidence(ref="tr_0001")],
        details={"tool_results": {"tr_0001": result}},
    )
    with world.store.session() as s:
        save_hypotheses(s, world.paged, [draft], source="agent", at=PAGE)
    app = make_app(settings, world.store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.open_incident(world.paged)
        await settle(pilot)
        await pilot.press("e")
        assert isinstance(app.screen, ToolResultScreen)
        assert "panic: nil map write" in str(app.screen.query_one("#event-details", Static).render())
