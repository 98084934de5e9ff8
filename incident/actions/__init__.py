"""Safe actions: proposals from runbook steps, previews, approval, execution once, audit.

Nothing reaches production without a person's approval, and every step is on the append-only
audit log and the timeline before the next one starts. See :mod:`incident.actions.execute` for
how an execution survives crashes and races.
"""

from __future__ import annotations

from incident.actions.audit import approve, audit_log, operator_name, reject, verify_audit
from incident.actions.execute import execute, expire_silence, reconcile
from incident.actions.preview import Preview, preview
from incident.actions.proposals import ActionError, get_action, list_actions, propose, sync_proposals
from incident.models import Action, ActionStatus, AuditEntry

__all__ = [
    "Action",
    "ActionError",
    "ActionStatus",
    "AuditEntry",
    "Preview",
    "approve",
    "audit_log",
    "execute",
    "expire_silence",
    "get_action",
    "list_actions",
    "operator_name",
    "preview",
    "propose",
    "reconcile",
    "reject",
    "sync_proposals",
    "verify_audit",
]
