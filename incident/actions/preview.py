"""What an action would change, read from its target before anyone confirms. Never mutates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from incident.actions.executors import connector_for, executor_for, plain_error, with_timeout
from incident.actions.proposals import allowed_by
from incident.actions.types import find
from incident.config import Settings
from incident.models import Action
from incident.registry import Connectors
from incident.timeline import jsonable


@dataclass
class Preview:
    lines: list[str]
    """Exactly what will change, one fact a line (target first)."""
    dry_run: dict[str, Any] = field(default_factory=dict)
    allowed: bool = True
    reason: str | None = None
    """Why it cannot be approved (type, namespace or duration not allowed)."""
    error: str | None = None
    """Why the dry run failed, in plain words (the action would fail the same way)."""


def _where(action: Action, connectors: Connectors, settings: Settings) -> list[str]:
    lines = [action.title, f"target: {action.target}"]
    action_type = find(action.type)
    connector = action_type.connector if action_type else None
    if connector == "kubernetes":
        k8s = settings.kubernetes
        cluster = k8s.context or k8s.host or ("in-cluster" if k8s.in_cluster else "current kubeconfig context")
        lines.append(f"namespace: {action.namespace}, cluster: {cluster}")
    elif connector == "alertmanager":
        lines.append(f"alertmanager: {settings.alertmanager.url}")
    return lines


def preview(*, action: Action, connectors: Connectors, settings: Settings) -> Preview:
    reason = allowed_by(settings, action.type, action.params)
    if reason is None and not action.allowed:
        reason = action.disallowed_reason
    lines = _where(action, connectors, settings)
    try:
        executor = executor_for(action)
        conn = connector_for(executor, connectors)
        dry = with_timeout(
            lambda: executor.dry_run(conn, action, settings),
            settings.actions.timeout.total_seconds(),
            f"dry run of {action.type}",
        )
    except Exception as exc:  # shown on the confirmation screen, never raised into the UI
        return Preview(lines=lines, allowed=reason is None, reason=reason, error=plain_error(exc, action))
    return Preview(
        lines=lines + executor.lines(action, dry), dry_run=jsonable(dry), allowed=reason is None, reason=reason
    )
