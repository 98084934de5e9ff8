"""Proposed actions exist as soon as the watcher saves hypotheses, with no TUI ever opened."""

from __future__ import annotations

from incident import actions
from incident.hypotheses import ranked
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
