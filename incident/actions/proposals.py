"""Proposed actions: made from the ready action steps of the shown hypotheses, checked against
``[actions]`` config, and stored once (the id hashes incident, type and canonical params)."""

from __future__ import annotations

import fnmatch
import hashlib
import json
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import CursorResult, Result, select
from sqlalchemy.orm import Session

from incident.actions import types
from incident.actions.evidence import unsupported
from incident.actions.types import describe
from incident.config import Settings
from incident.errors import CopilotError
from incident.hypotheses import ranked
from incident.models import Action, ActionStatus, Incident, utcnow
from incident.runbooks.step import steps_of


class ActionError(CopilotError):
    """An action that cannot be approved, executed or rejected in its current state."""

    title = "Action refused"


def rows_changed(result: Result[Any]) -> int:
    """Rows an UPDATE matched (its ``CursorResult.rowcount``): how a guarded state change knows it won."""
    return int(cast("CursorResult[Any]", result).rowcount)


def action_id(incident_id: int, type_: str, params: dict[str, Any]) -> str:
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(f"{incident_id}\x1f{type_}\x1f{canonical}".encode()).hexdigest()
    return f"ac_{digest[:24]}"


def approval_digest(type_: str, target: str, params: dict[str, Any]) -> str:
    """What an approval approves: sha256 over the action type, its target and canonical params."""
    canonical = json.dumps(
        {"type": type_, "target": target, "params": params}, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def allowed_by(settings: Settings, type_: str, params: dict[str, Any]) -> str | None:
    """Why ``[actions]`` config (or the parameter schema) forbids this action; None when allowed."""
    action_type = types.find(type_)
    if action_type is None:
        return f"unknown action type {type_!r}"
    try:
        action_type.schema.model_validate(params)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "params"
        return f"invalid parameters: {where}: {first['msg']}"
    cfg = settings.actions
    if type_ not in cfg.allowed_types:
        return f"{type_} is not in [actions] allowed_types"
    namespace = params.get("namespace")
    if namespace is not None and not any(fnmatch.fnmatchcase(namespace, p) for p in cfg.allowed_namespaces):
        return f"namespace {namespace} is not in [actions] allowed_namespaces"
    return action_type.allow(cfg, params)


def propose(
    session: Session,
    *,
    incident_id: int,
    type: str,
    params: dict[str, Any],
    settings: Settings,
    hypothesis_id: str | None = None,
) -> Action:
    """Store one proposed action (or return the existing one); a still-proposed action's
    allowed/disallowed marking follows the current config. The caller owns the transaction."""
    aid = action_id(incident_id, type, params)
    reason = allowed_by(settings, type, params)
    action = session.get(Action, aid)
    if action is None:
        target, title = describe(type, params)
        action = Action(
            id=aid,
            incident_id=incident_id,
            hypothesis_id=hypothesis_id,
            type=type,
            params=dict(params),
            target=target,
            namespace=params.get("namespace"),
            title=title,
            status=ActionStatus.proposed,
            proposed_at=utcnow(),
        )
        session.add(action)
    if action.status == ActionStatus.proposed:
        action.allowed, action.disallowed_reason = reason is None, reason
    session.flush()
    return action


def sync_proposals(session: Session, *, incident_id: int, settings: Settings) -> list[Action]:
    """Proposed actions for every ready action step of the incident's shown hypotheses, in rank
    and step order (idempotent), each only when collected evidence supports it
    (:mod:`incident.actions.evidence`: a hypothesis alone, maybe a model's, is not enough).
    The caller owns the transaction."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        return []
    lookback = settings.watcher.deploy_lookback
    out: dict[str, Action] = {}
    for hypothesis in ranked(session, incident_id):
        for step in steps_of(hypothesis.steps):
            spec = step.proposable
            if spec is None:
                continue
            type_, params = spec.type, dict(spec.params)
            if unsupported(session, incident=incident, type_=type_, params=params, lookback=lookback) is not None:
                continue
            action = propose(
                session,
                incident_id=incident_id,
                type=type_,
                params=params,
                settings=settings,
                hypothesis_id=hypothesis.id,
            )
            out.setdefault(action.id, action)
    return list(out.values())


def list_actions(session: Session, *, incident_id: int) -> list[Action]:
    query = select(Action).where(Action.incident_id == incident_id).order_by(Action.proposed_at, Action.id)
    return list(session.scalars(query))


def get_action(session: Session, action_id: str) -> Action:
    action = session.get(Action, action_id)
    if action is None:
        raise ActionError(f"no action {action_id} in the store", title="Not found")
    return action
