"""Who did what to which action: the append-only audit log, its timeline twin, approval and rejection.

Every state change of an action is one :class:`AuditEntry` plus one timeline event, written in
the same transaction as the change itself. Approval is its own committed transaction, so it is
on record before anything can execute.
"""

from __future__ import annotations

import getpass
import json
import os
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from incident.actions.chain import Break, fields, row_hash, verify
from incident.actions.proposals import ActionError, approval_digest, get_action, rows_changed
from incident.config import Settings
from incident.models import Action, ActionStatus, AuditEntry, EventKind, Incident, utcnow
from incident.store import Store
from incident.timeline import jsonable, log_event

SOURCE = "copilot"
CHAIN_LOCK = 7219012
"""PostgreSQL advisory lock serialising appends, so two writers never chain onto the same row.
(On SQLite every caller has written to ``actions`` first in the same transaction: the database
write lock is already held when the tail is read.)"""


def operator_name(settings: Settings) -> str:
    """``[actions] operator``, else the OS user."""
    if settings.actions.operator:
        return settings.actions.operator
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no passwd entry (containers) and no LOGNAME/USER
        return f"uid-{os.getuid()}"


def _summary(action: Action, who: str, what: str, detail: dict[str, Any]) -> str:
    if what == "approved":
        return f"approved by {who}: {action.title}"
    if what == "executing":
        return f"executing ({who}): {action.title}"
    if what == "rejected":
        reason = detail.get("reason")
        return f"rejected by {who}: {action.title}" + (f" ({reason})" if reason else "")
    if what == "reconciled":
        return f"reconciled after a restart, {detail.get('status')}: {action.title}: {detail.get('message', '')}"
    if what == "refused":
        return f"refused to execute ({who}): {action.title}: {detail.get('reason', '')}"
    if what == "expired":
        return f"silence expired by {who}: {action.title}"
    message = detail.get("error") if what == "failed" else (detail.get("result") or {}).get("message")
    return f"{what}: {action.title}" + (f": {message}" if message else "")


def record(session: Session, action: Action, *, who: str, what: str, detail: dict[str, Any] | None = None) -> None:
    """One audit row, chained to the one before, and its timeline event (``kind=action``).
    The caller owns the transaction."""
    detail = json.loads(json.dumps(jsonable(detail or {}), default=str))  # hashed exactly as it reads back
    now = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    prev = session.scalar(select(AuditEntry.row_hash).order_by(AuditEntry.id.desc()).limit(1))
    entry = AuditEntry(
        at=now, incident_id=action.incident_id, action_id=action.id, who=who, what=what, detail=detail, prev_hash=prev
    )
    entry.row_hash = row_hash(fields(entry), prev)
    session.add(entry)
    incident = session.get(Incident, action.incident_id)
    log_event(
        session,
        incident_id=action.incident_id,
        kind=EventKind.action,
        key=f"action/{action.id}/{what}",
        at=now,
        source=SOURCE,
        summary=_summary(action, who, what, detail),
        details={"action_id": action.id, "type": action.type, "target": action.target, "what": what, "who": who}
        | detail,
        component=incident.component if incident is not None else None,
    )


def refusal(action: Action, verb: str) -> str:
    """Why ``verb`` cannot be done to ``action`` now, in one sentence."""
    if action.status == ActionStatus.proposed and not action.allowed:
        return f"cannot {verb} '{action.title}': not allowed ({action.disallowed_reason})"
    if action.status == ActionStatus.proposed:
        return f"cannot {verb} '{action.title}': it is not approved yet"
    if action.status == ActionStatus.approved:
        return f"cannot {verb} '{action.title}': it is already approved"
    return f"cannot {verb} '{action.title}': it is {action.status} (already being executed or done)"


def approve(store: Store, *, action_id: str, who: str) -> Action:
    """Approve a proposed, allowed action; committed (audit and timeline) before this returns."""
    with store.session() as session:
        claimed = rows_changed(
            session.execute(
                update(Action)
                .where(Action.id == action_id, Action.status == ActionStatus.proposed, Action.allowed.is_(True))
                .values(status=ActionStatus.approved, approved_by=who, approved_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        )
        action = get_action(session, action_id)
        session.refresh(action)
        if not claimed:
            raise ActionError(refusal(action, "approve"))
        digest = approval_digest(action.type, action.target, action.params)
        action.approval_digest = digest
        detail = {"params": action.params, "target": action.target, "digest": digest}
        record(session, action, who=who, what="approved", detail=detail)
        return action


def reject(store: Store, *, action_id: str, who: str, reason: str = "") -> Action:
    """Reject a proposed or approved action (disallowed ones too), with an optional reason."""
    with store.session() as session:
        open_states = (ActionStatus.proposed, ActionStatus.approved)
        claimed = rows_changed(
            session.execute(
                update(Action)
                .where(Action.id == action_id, Action.status.in_(open_states))
                .values(status=ActionStatus.rejected, reject_reason=reason or None, finished_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        )
        action = get_action(session, action_id)
        session.refresh(action)
        if not claimed:
            raise ActionError(f"cannot reject '{action.title}': it is {action.status}")
        record(session, action, who=who, what="rejected", detail={"reason": reason})
        return action


def audit_log(session: Session, *, incident_id: int | None = None) -> list[AuditEntry]:
    """The audit log in the order it was written, of one incident or of all."""
    query = select(AuditEntry).order_by(AuditEntry.id)
    if incident_id is not None:
        query = query.where(AuditEntry.incident_id == incident_id)
    return list(session.scalars(query))


def verify_audit(session: Session) -> tuple[int, Break | None]:
    """Check the whole log: (rows checked, the first broken link or None).

    The chain shows a row altered, inserted or removed before the last one; an approval recorded on
    an action but absent from the log shows rows removed at the end (a TRUNCATE, a cut tail).
    """
    rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000))
    checked, broken = verify(fields(row) for row in rows)
    if broken is not None:
        return checked, broken
    logged = set(session.scalars(select(AuditEntry.action_id).where(AuditEntry.what == "approved")))
    approved = select(Action).where(Action.approval_digest.is_not(None)).order_by(Action.approved_at, Action.id)
    for action in session.scalars(approved):
        if action.id not in logged:
            reason = f"action {action.id} was approved by {action.approved_by} but no approval of it is on the log"
            return checked, Break(None, reason + " (rows removed)")
    return checked, None


def action_descriptions(store: Store, action_ids: set[str]) -> dict[str, str]:
    """What each action does, for people (from the action-type registry): id -> description."""
    from incident.actions.types import describe

    if not action_ids:
        return {}
    with store.session() as s:
        rows = s.execute(select(Action.id, Action.type, Action.params).where(Action.id.in_(action_ids)))
        return {aid: describe(kind, dict(params or {}))[1] for aid, kind, params in rows}
