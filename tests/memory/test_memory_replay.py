"""Team memory end to end, in one store: a bad deploy is rolled back and its cause confirmed; a week
later the same failure pages again and memory shows what fixed it, and ranks the confirmed kind up.
An unrelated page (another component, another failure) gets no memory."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from incident import service
from incident.actions import approve, execute, sync_proposals
from incident.agent import run_agent
from incident.app.finalise import run_analysis
from incident.config import Settings, load_settings
from incident.feedback import set_verdict
from incident.hypotheses import HypothesisDraft, ranked
from incident.memory import THRESHOLD, find_similar, memory_event_id, record_similar
from incident.models import Action, Incident, TimelineEvent
from incident.registry import Connectors, build_connectors
from incident.sandbox.anthropic import MessagesStandIn, text
from incident.sandbox.runner import Sandbox
from incident.scenario import Scenario, load_scenario
from incident.store import Store
from incident.timeline import timeline
from incident.watcher import Watcher
from tests.conftest import SCENARIOS, needs_alertmanager, needs_prometheus
from tests.memory.shift import shifted_copy

pytestmark = [needs_alertmanager, needs_prometheus]

WEEK = timedelta(days=7)


@dataclass
class Story:
    db: Path
    first: int
    """The checkout bad deploy: rolled back by alice, cause confirmed by alice, resolved."""
    rollback_title: str
    again: int
    """The same failure a week later."""
    unrelated: int
    """search cannot pull its image (another component, another kind)."""


def _replay(scenario: Scenario, db: Path, work: Path, *, heal: bool = False) -> int:
    """Run the watcher once over the scenario's sandbox; with ``heal``, approve and run the
    rollback, confirm the top hypothesis, and let the next cycle resolve the page."""
    with Sandbox(scenario, work) as box:
        settings = load_settings(overlays=[box.config(store_url=f"sqlite:///{db}")], user_file=False)
        store = Store(settings.store.url)
        connectors = build_connectors(settings)
        watcher = Watcher(settings, store, connectors)
        try:
            opened = watcher.run_once()
            with store.session() as s:
                found = service.find_by_page(s, source=scenario.spec.page.source, alert=scenario.spec.page.alert)
                assert found is not None and found.id in opened, "the page did not open a new incident"
                incident_id = found.id
                if heal:
                    actions = sync_proposals(s, incident_id=incident_id, settings=settings)
                    set_verdict(s, ranked(s, incident_id)[0].id, "confirmed", who="alice", note="the 2.15.0 deploy")
            if heal:
                undo = next(a for a in actions if a.type == "kubernetes.rollout_undo")
                approve(store, action_id=undo.id, who="alice")
                done = execute(store, action_id=undo.id, connectors=connectors, settings=settings, who="alice")
                assert done.status == "succeeded", done.error
                for _ in range(settings.alertmanager.absent_polls):  # resolved at its source, or absent long enough
                    watcher.run_once()
                with store.session() as s:
                    assert service.get(s, incident_id=incident_id).status == "resolved"  # type: ignore[union-attr]
        finally:
            watcher.stop()
            store.close()
    return incident_id


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Story:
    tmp = tmp_path_factory.mktemp("memory")
    db = tmp / "store.db"
    first = _replay(load_scenario(SCENARIOS / "checkout-bad-deploy"), db, tmp / "sb1", heal=True)
    reader = Store(f"sqlite:///{db}")
    with reader.session() as s:
        executed = select(Action.title).where(Action.incident_id == first, Action.status == "succeeded")
        rollback_title = s.scalars(executed).one()
    reader.close()
    later = shifted_copy(SCENARIOS / "checkout-bad-deploy", tmp / "checkout-again", WEEK)  # the same alert, again
    again = _replay(load_scenario(later), db, tmp / "sb2")
    unrelated = _replay(load_scenario(SCENARIOS / "search-image-pull"), db, tmp / "sb3")
    return Story(db, first, rollback_title, again, unrelated)


@pytest.fixture
def store(story: Story, tmp_path: Path) -> Iterator[Store]:
    """A copy of the story's store: a test may change verdicts without touching the others."""
    db = tmp_path / "store.db"
    shutil.copy(story.db, db)
    for suffix in ("-wal", "-shm"):
        if story.db.with_name(story.db.name + suffix).exists():
            shutil.copy(story.db.with_name(story.db.name + suffix), db.with_name(db.name + suffix))
    s = Store(f"sqlite:///{db}")
    yield s
    s.close()


def test_the_recurrence_shows_the_first_incident_and_what_resolved_it(story: Story, store: Store) -> None:
    with store.session() as s:
        event = s.get(TimelineEvent, memory_event_id(story.again, story.first))
        assert event is not None and event.kind == "memory" and event.source == "memory"
        assert event.summary.startswith(f"similar to #{story.first} (")
        assert f"resolved by: {story.rollback_title}" in event.summary
        assert "confirmed: deploy_regression on checkout" in event.summary
        how = event.details["resolved_by"]
        assert [(a["type"], a["who"]) for a in how["actions"]] == [("kubernetes.rollout_undo", "alice")]
        assert [(h["kind"], h["component"], h["by"]) for h in how["accepted"]] == [
            ("deploy_regression", "checkout", "alice")
        ]
        assert how["postmortem"] == f"incident postmortem {story.first}"
        assert event.details["status"] == "resolved" and event.details["time_to_resolve_seconds"] > 0

        matches = find_similar(s, story.again)
        best = matches[0]
        assert best.past_incident_id == story.first and best.score >= THRESHOLD
        assert best.score == max(m.score for m in matches)
        for reason in ("same component checkout", "same alert HighErrorRatio", "same kind deploy_regression"):
            assert reason in best.reasons
        assert any(r.startswith("same log signature 'failed to price cart") for r in best.reasons)
        assert all(m.page_at < s.get(Incident, story.again).page_at for m in matches)  # type: ignore[union-attr]


def test_the_confirmed_kind_is_ranked_up_visibly(story: Story, store: Store) -> None:
    with store.session() as s:
        top, *rest = ranked(s, story.again)
        memory = top.details["memory"]
        assert (top.kind, top.component) == ("deploy_regression", "checkout")
        assert memory["delta"] > 0 and memory["confirmed_in"] == [story.first] and memory["rejected_in"] == []
        assert top.confidence == pytest.approx(memory["prior"] + memory["delta"], abs=1e-3)
        assert f"confirmed by alice on #{story.first} (similar" in memory["because"]
        assert all("memory" not in h.details for h in rest), "no verdict was given on the other kinds"
        assert "memory" not in top.summary


def test_the_agents_hypotheses_are_ranked_by_memory_too(story: Story, store: Store) -> None:
    with store.session() as s:
        analyzer = ranked(s, story.again)
        ref = analyzer[0].evidence[0]["ref"]

    def script(body: dict[str, Any]) -> dict[str, Any]:
        if "verdicts" in json.dumps(body.get("system", "")):
            return text(json.dumps({"verdicts": [{"index": 0, "supported": True, "reason": "the rollout is cited"}]}))
        hypothesis = {
            "kind": "deploy_regression",
            "component": "checkout",
            "confidence": 0.6,
            "summary": "checkout 2.15.0 broke pricing",
            "evidence": [{"ref": ref, "note": "the rollout"}],
            "refutation": "errors before the rollout",
        }
        return text(json.dumps({"hypotheses": [hypothesis]}))

    llm = MessagesStandIn(script).start()
    try:
        settings = Settings(agent=llm.agent_config() | {"max_retries": 0}, replay={"enabled": True})
        drafts = [HypothesisDraft.model_validate(h, from_attributes=True) for h in analyzer]
        outcome = run_agent(
            settings=settings, store=store, connectors=Connectors(), incident_id=story.again, analyzer_drafts=drafts
        )
    finally:
        llm.stop()
    assert not outcome.fallback, outcome.reason
    with store.session() as s:
        top = ranked(s, story.again)[0]
    assert (top.source, top.kind) == ("agent", "deploy_regression")
    assert top.details["memory"]["delta"] > 0
    assert top.confidence == pytest.approx(top.details["memory"]["prior"] + top.details["memory"]["delta"], abs=1e-3)
    assert top.details["memory"]["confirmed_in"] == [story.first]


def test_a_wrong_verdict_ranks_the_kind_down(story: Story, store: Store) -> None:
    with store.session() as s:
        confirmed = next(h for h in ranked(s, story.first) if h.status == "confirmed")
        set_verdict(s, confirmed.id, "rejected", who="bob", note="it was the promotions data")
    with store.session() as s:
        page_at = s.get(Incident, story.again).page_at  # type: ignore[union-attr]
        drafts = run_analysis(s, story.again, at=page_at)
    hit = next(d for d in drafts if d.kind == "deploy_regression")
    assert hit.details["memory"]["delta"] < 0 and hit.details["memory"]["rejected_in"] == [story.first]
    assert f"marked wrong by bob on #{story.first}" in hit.details["memory"]["because"]
    with store.session() as s:
        event = s.get(TimelineEvent, memory_event_id(story.again, story.first))
        assert event is not None and "confirmed:" not in event.summary


def test_an_incident_is_not_ranked_by_its_own_verdicts(story: Story, store: Store) -> None:
    with store.session() as s:
        page_at = s.get(Incident, story.first).page_at  # type: ignore[union-attr]
        drafts = run_analysis(s, story.first, at=page_at)
    assert all("memory" not in d.details for d in drafts)


def test_refreshing_memory_never_duplicates_events(story: Story, store: Store) -> None:
    def refresh() -> tuple[list[str], list[int]]:
        with store.session() as s:
            matches = record_similar(s, story.again, at=s.get(Incident, story.again).page_at)  # type: ignore[union-attr]
        with store.session() as s:
            return [e.id for e in timeline(s, story.again, kinds=["memory"])], [m.past_incident_id for m in matches]

    first_ids, first_matches = refresh()
    again_ids, again_matches = refresh()
    assert story.first in first_matches and again_matches == first_matches
    assert sorted(again_ids) == sorted(first_ids) == sorted(memory_event_id(story.again, m) for m in first_matches)


def test_an_unrelated_page_gets_no_memory(story: Story, store: Store) -> None:
    with store.session() as s:
        checkout = {story.first, story.again}
        shown = [e.details["past_incident_id"] for e in timeline(s, story.unrelated, kinds=["memory"])]
        assert not checkout & set(shown)
        assert not checkout & {m.past_incident_id for m in find_similar(s, story.unrelated, limit=10)}
        assert all("memory" not in h.details for h in ranked(s, story.unrelated))
