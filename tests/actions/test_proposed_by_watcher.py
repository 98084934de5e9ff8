"""Proposed actions exist as soon as hypotheses are saved (the analyzer's or the agent's), with no TUI ever opened."""

from __future__ import annotations

from sqlalchemy import delete

from incident import actions
from incident.app.finalise import finalise
from incident.hypotheses import Evidence, HypothesisDraft, ranked
from incident.models import Action
from incident.runbooks import configured_runbooks
from tests.actions.conftest import World


def test_the_watcher_alone_stores_the_proposals_of_the_shown_hypotheses(world: World) -> None:
    with world.store.session() as s:
        stored = actions.list_actions(s, incident_id=world.incident_id)
        shown = {h.id for h in ranked(s, world.incident_id)}
        ready = {
            step["action"]["type"]
            for h in ranked(s, world.incident_id)
            for step in h.steps or []
            if step.get("type") == "action" and step.get("ready")
        }
    assert stored, "the watcher stored no proposed action"
    assert all(a.status == "proposed" for a in stored)
    assert {a.hypothesis_id for a in stored} <= shown
    assert {a.type for a in stored} <= ready
    assert "kubernetes.rollout_undo" in {a.type for a in stored}
    # what a later sync (e.g. the TUI opening the incident) finds is exactly what is stored already
    with world.store.session() as s:
        again = actions.sync_proposals(s, incident_id=world.incident_id, settings=world.settings)
    assert sorted(a.id for a in again) == sorted(a.id for a in stored)


def test_the_agents_hypotheses_propose_through_the_same_path(world: World) -> None:
    """What the agent saves (here: the analyzer's hypotheses, restated as the agent's) is finalised
    like the analyzer's: steps from the runbooks, then proposals tied to the agent's hypotheses."""
    with world.store.session() as s:
        restated = [
            HypothesisDraft(
                kind=h.kind,
                component=h.component,
                confidence=h.confidence,
                summary=h.summary,
                evidence=[Evidence(ref=str(e["ref"])) for e in h.evidence],
                source="agent",
            )
            for h in ranked(s, world.incident_id)
        ]
        s.execute(delete(Action).where(Action.incident_id == world.incident_id))
    runbooks = configured_runbooks(world.settings.runbooks)
    with world.store.session() as s:
        saved = finalise(
            s, world.incident_id, restated, source="agent", settings=None, runbooks=runbooks, at=world.scenario.page_at
        )
        assert any(step.get("ready") for d in saved for step in d.steps)  # steps attached by finalise
        assert actions.list_actions(s, incident_id=world.incident_id) == []  # no settings, no proposals
    with world.store.session() as s:
        finalise(
            s,
            world.incident_id,
            restated,
            source="agent",
            settings=world.settings,
            runbooks=runbooks,
            at=world.scenario.page_at,
        )
        agent_ids = {h.id for h in ranked(s, world.incident_id) if h.source == "agent"}
        stored = actions.list_actions(s, incident_id=world.incident_id)
    assert "kubernetes.rollout_undo" in {a.type for a in stored}
    assert {a.hypothesis_id for a in stored} <= agent_ids
