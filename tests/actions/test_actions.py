"""Proposals, previews, approval and execution against the stand-in cluster, with the audit trail."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text

from incident import actions
from incident.actions import Action, ActionError
from incident.models import AuditEntry, TimelineEvent
from tests.actions.conftest import World

GOOD = "registry.shop.example.com/shop/checkout:2.14.3"
BAD = "registry.shop.example.com/shop/checkout:2.15.0"


def rollback(world: World) -> Action:
    with world.store.session() as s:
        found = [a for a in actions.sync_proposals(s, incident_id=world.incident_id, settings=world.settings)]
    undo = [a for a in found if a.type == "kubernetes.rollout_undo"]
    assert undo, [a.type for a in found]
    return undo[0]


def propose(world: World, type_: str, **params: Any) -> Action:
    with world.store.session() as s:
        return actions.propose(s, incident_id=world.incident_id, type=type_, params=params, settings=world.settings)


def run(world: World, action: Action, who: str = "alice") -> Action:
    actions.approve(world.store, action_id=action.id, who=who)
    return actions.execute(
        world.store, action_id=action.id, connectors=world.connectors, settings=world.settings, who=who
    )


def audit(world: World) -> list[AuditEntry]:
    with world.store.session() as s:
        return actions.audit_log(s, incident_id=world.incident_id)


def test_proposals_come_from_ready_steps_idempotently_and_config_marks_disallowed(world: World) -> None:
    undo = rollback(world)
    assert undo.params == {"namespace": "shop", "deployment": "checkout", "to_revision": 7}
    assert undo.allowed and undo.status == "proposed" and undo.hypothesis_id
    assert undo.target == "deployment shop/checkout" and undo.namespace == "shop"
    with world.store.session() as s:
        again = actions.sync_proposals(s, incident_id=world.incident_id, settings=world.settings)
        assert [a.id for a in again] == [a.id for a in actions.list_actions(s, incident_id=world.incident_id)]
    assert undo.id in [a.id for a in again] and len(again) == len({a.id for a in again})
    # a step that is not ready (the PagerDuty note needs an id the incident lacks) is not proposed
    assert all(a.type != "pagerduty.note" for a in again)

    strict = world.with_settings(allowed_namespaces=["prod-*"])
    with world.store.session() as s:
        marked = next(a for a in actions.sync_proposals(s, incident_id=world.incident_id, settings=strict))
    assert marked.id == undo.id and not marked.allowed
    assert "allowed_namespaces" in (marked.disallowed_reason or "")
    with pytest.raises(ActionError, match="not allowed"):
        actions.approve(world.store, action_id=undo.id, who="alice")
    assert audit(world) == []

    no_undo = world.with_settings(allowed_types=["kubernetes.scale"])
    with world.store.session() as s:
        actions.sync_proposals(s, incident_id=world.incident_id, settings=no_undo)
        assert "allowed_types" in (s.get(Action, undo.id).disallowed_reason or "")
        long = actions.propose(
            s,
            incident_id=world.incident_id,
            type="alertmanager.silence",
            params={"matchers": {"alertname": "HighErrorRatio"}, "duration": "12h", "comment": "x"},
            settings=world.settings,
        )
        assert not long.allowed and "silence_max" in (long.disallowed_reason or "")
    # a disallowed action can still be rejected, with a reason
    rejected = actions.reject(world.store, action_id=undo.id, who="bob", reason="not in prod")
    assert rejected.status == "rejected" and rejected.reject_reason == "not in prod"
    assert [(e.what, e.who, e.detail["reason"]) for e in audit(world)] == [("rejected", "bob", "not in prod")]


def test_preview_of_the_rollback_uses_a_server_side_dry_run_and_changes_nothing(world: World) -> None:
    undo = rollback(world)
    before = world.deployment()
    preview = actions.preview(action=undo, connectors=world.connectors, settings=world.settings)
    assert preview.error is None and preview.allowed and preview.reason is None
    text_ = "\n".join(preview.lines)
    assert "deployment shop/checkout: revision 8 -> 7" in text_
    assert f"image checkout: {BAD} -> {GOOD}" in text_
    assert "namespace: shop" in text_ and "dry run" in text_
    assert preview.dry_run["from_revision"] == 8 and preview.dry_run["to_revision"] == 7
    assert ("PATCH", "/apis/apps/v1/namespaces/shop/deployments/checkout") in world.cluster.requests
    assert world.deployment() == before and world.image() == BAD
    with world.store.session() as s:
        assert s.get(Action, undo.id).status == "proposed"


def test_approved_rollback_executes_once_with_approval_recorded_first(world: World) -> None:
    undo = rollback(world)
    with pytest.raises(ActionError, match="not approved"):
        actions.execute(world.store, action_id=undo.id, connectors=world.connectors, settings=world.settings, who="a")
    approved = actions.approve(world.store, action_id=undo.id, who="alice")
    assert approved.status == "approved" and approved.approved_by == "alice"
    assert [e.what for e in audit(world)] == ["approved"]  # on record before anything runs
    assert world.image() == BAD

    done = actions.execute(
        world.store, action_id=undo.id, connectors=world.connectors, settings=world.settings, who="alice"
    )
    assert done.status == "succeeded", done.error
    assert world.image() == GOOD and world.revision() == "9"
    assert done.result and "revision 8" in done.result["message"] and done.dry_run["from_revision"] == 8
    assert done.approved_at <= done.executed_at <= done.finished_at

    entries = audit(world)
    assert [e.what for e in entries] == ["approved", "executing", "succeeded"]
    assert [e.id for e in entries] == sorted(e.id for e in entries)
    assert entries[-1].detail["dry_run"]["image_changes"]["checkout"] == {"from": BAD, "to": GOOD}
    with world.store.session() as s:
        events = list(s.scalars(select(TimelineEvent).where(TimelineEvent.kind == "action").order_by(TimelineEvent.at)))
    assert [e.details["what"] for e in events] == ["approved", "executing", "succeeded"]
    assert events[0].summary.startswith("approved by alice")

    with pytest.raises(ActionError, match="already being executed or done"):
        actions.execute(world.store, action_id=undo.id, connectors=world.connectors, settings=world.settings, who="b")
    with pytest.raises(ActionError):
        actions.approve(world.store, action_id=undo.id, who="bob")
    patches = world.patches()
    assert patches == 2  # the dry run and the rollback, nothing more
    with world.store.session() as s, pytest.raises(Exception, match="append-only"):
        s.execute(text("DELETE FROM audit_log"))


def test_rollback_to_the_current_revision_succeeds_without_changing_anything(world: World) -> None:
    before = world.deployment()
    action = propose(world, "kubernetes.rollout_undo", namespace="shop", deployment="checkout", to_revision=8)
    done = run(world, action)
    assert done.status == "succeeded" and done.result["message"] == "already at revision 8"
    assert world.patches() == 1 and world.deployment() == before  # the dry run only


def test_scale_restart_and_delete_pod(world: World) -> None:
    before = int(world.deployment()["spec"]["replicas"])
    scaled = run(world, propose(world, "kubernetes.scale", namespace="shop", deployment="checkout", replicas=6))
    assert scaled.status == "succeeded" and world.deployment()["spec"]["replicas"] == 6
    assert scaled.dry_run == {**scaled.dry_run, "from_replicas": before, "to_replicas": 6}
    again = propose(world, "kubernetes.scale", namespace="shop", deployment="checkout", replicas=6)
    assert again.id == scaled.id  # the same proposal, already done

    restarted = run(world, propose(world, "kubernetes.restart", namespace="shop", deployment="checkout"))
    assert restarted.status == "succeeded", restarted.error
    annotations = world.deployment()["spec"]["template"]["metadata"]["annotations"]
    assert annotations["kubectl.kubernetes.io/restartedAt"] == restarted.result["restarted_at"]

    pod = next(
        p["metadata"]["name"] for p in world.cluster.store.iter("Pod", "shop") if "checkout" in p["metadata"]["name"]
    )
    preview = actions.preview(
        action=propose(world, "kubernetes.delete_pod", namespace="shop", pod=pod),
        connectors=world.connectors,
        settings=world.settings,
    )
    assert any("ReplicaSet" in line and "replacement" in line for line in preview.lines), preview.lines
    assert world.cluster.store.get("Pod", "shop", pod) is not None
    deleted = run(world, propose(world, "kubernetes.delete_pod", namespace="shop", pod=pod))
    assert deleted.status == "succeeded" and world.cluster.store.get("Pod", "shop", pod) is None
    assert [e.what for e in audit(world)].count("succeeded") == 3


def test_errors_from_the_target_are_plain_words_on_the_action(world: World) -> None:
    missing = propose(world, "kubernetes.rollout_undo", namespace="shop", deployment="nope", to_revision=1)
    preview = actions.preview(action=missing, connectors=world.connectors, settings=world.settings)
    assert preview.error and "deployment shop/nope" in preview.error and "not found" in preview.error
    failed = run(world, missing)
    assert failed.status == "failed"
    assert failed.error.startswith("dry run failed, nothing was changed: deployment shop/nope")
    assert "HTTP 404" in failed.error
    assert [e.what for e in audit(world)] == ["approved", "executing", "failed"]

    too_far = propose(world, "kubernetes.rollout_undo", namespace="shop", deployment="checkout", to_revision=2)
    assert "has no revision 2" in (run(world, too_far).error or "")
    assert world.patches() == 0


def test_unconfigured_connector_leaves_the_action_approved(world: World) -> None:
    note = propose(world, "pagerduty.acknowledge", incident_id="PABC123")
    actions.approve(world.store, action_id=note.id, who="alice")
    with pytest.raises(ActionError, match="pagerduty is not available"):
        actions.execute(world.store, action_id=note.id, connectors=world.connectors, settings=world.settings, who="a")
    with world.store.session() as s:
        assert s.get(Action, note.id).status == "approved"


def test_operator_name_comes_from_config_or_the_os(world: World) -> None:
    assert actions.operator_name(world.with_settings(operator="Dana (on-call)")) == "Dana (on-call)"
    assert actions.operator_name(world.settings)
