"""The one helper every timeline write goes through, and timeline reads.

An event's id is derived from (incident, kind, natural key), so writing the same fact twice
(a refresh, a restart after a crash) updates the row instead of adding one. The caller owns
the transaction: nothing here commits.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from incident.details import HypothesisEventDetails
from incident.models import EventKind, TimelineEvent, utcnow
from incident.upsert import upsert

_EVENT_UPDATE = ("at", "source", "summary", "details", "component", "updated_at")
"""What a later observation of the same fact changes (``created_at`` stays the first one's)."""


def event_id(incident_id: int, kind: str, key: str) -> str:
    digest = hashlib.sha256(f"{incident_id}\x1f{kind}\x1f{key}".encode()).hexdigest()
    return f"ev_{digest[:24]}"


def window_id(incident_id: int, component: str, signal: str) -> str:
    """Stable id of a stored metric window (evidence ``mw_...``)."""
    digest = hashlib.sha256(f"{incident_id}\x1f{component}\x1f{signal}".encode()).hexdigest()
    return f"mw_{digest[:24]}"


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def log_event(
    session: Session,
    *,
    incident_id: int,
    kind: EventKind | str,
    key: str,
    at: datetime,
    source: str,
    summary: str,
    details: dict[str, Any] | None = None,
    component: str | None = None,
) -> str:
    """Insert or update one timeline event; return its stable id.

    ``key`` names the fact (e.g. ``pod/shop/cart-1/restarts``); the same key always maps to
    the same event, whose time, summary and details follow the latest observation.
    """
    kind = str(kind)
    eid = event_id(incident_id, kind, key)
    now = utcnow()
    values = {
        "id": eid,
        "incident_id": incident_id,
        "kind": kind,
        "at": at,
        "source": source,
        "summary": summary[:2000],
        "details": jsonable(details or {}),
        "component": component,
        "created_at": now,
        "updated_at": now,
    }
    upsert(session, TimelineEvent, [values], key=["id"], update=_EVENT_UPDATE)
    return eid


_KIND_ORDER = {
    kind: i
    for i, kind in enumerate(
        [
            "alert",
            "incident_state",
            "deploy",
            "config_change",
            "change_event",
            "metric_change",
            "node_state",
            "k8s_event",
            "pod_state",
            "log_excerpt",
            "pagerduty_log",
            "ownership",
            "connector_error",
            "note",
        ]
    )
}


def _order(e: TimelineEvent) -> tuple[datetime, int, int, str]:
    """By time, then kind; hypotheses ranked at one moment in rank order (#1 first), not by id."""
    rank = HypothesisEventDetails.of(e).rank if e.kind == EventKind.hypothesis else None
    return (e.at, _KIND_ORDER.get(e.kind, 99), rank if rank is not None else 1_000_000, e.id)


def timeline(session: Session, incident_id: int, *, kinds: list[str] | None = None) -> list[TimelineEvent]:
    """The incident's events in time order; simultaneous events read cause-first (alert, state,
    changes, symptoms, context), then by id, so the order is stable."""
    query = select(TimelineEvent).where(TimelineEvent.incident_id == incident_id)
    if kinds:
        query = query.where(TimelineEvent.kind.in_(kinds))
    events = list(session.scalars(query))
    events.sort(key=_order)
    return events
