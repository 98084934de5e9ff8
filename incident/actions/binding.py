"""Whether an approved action is still exactly what was approved.

The approval stores a digest of (type, target, canonical params) on the action and on its audit
row. Before executing, the digest is recomputed from the row as it is now; a row edited in the store
after approval, or set to ``approved`` without an approval, no longer matches and is refused.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from incident.actions.chain import fields, row_hash
from incident.actions.proposals import action_id, approval_digest
from incident.actions.types import describe
from incident.models import Action, AuditEntry


def binding_problem(session: Session, action: Action) -> str | None:
    """Why ``action`` may not execute as it stands in the store; None when it is what was approved."""
    digest = approval_digest(action.type, action.target, action.params)
    if not action.approval_digest:
        return "it carries no approval digest (approved without an approval)"
    if action.approval_digest != digest:
        return "its type, target or parameters changed after it was approved"
    approvals = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action_id == action.id, AuditEntry.what == "approved")
        .order_by(AuditEntry.id.desc())
    ).all()
    recorded = [
        a
        for a in approvals
        if (a.detail or {}).get("digest") == digest
        and a.who == action.approved_by
        and a.row_hash == row_hash(fields(a), a.prev_hash)
    ]
    if not recorded:
        return "no approval on the audit log matches it"
    if action.id != action_id(action.incident_id, action.type, action.params):
        return "its type or parameters are not those it was proposed with"
    if action.target != describe(action.type, action.params)[0]:
        return "its target does not match its parameters"
    return None
