"""Incident service functions: keyword-only, typed; the caller owns the transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from incident.errors import CopilotError
from incident.models import Alert, EventKind, Incident, IncidentStatus
from incident.timeline import log_event

OPEN = (IncidentStatus.triggered, IncidentStatus.acknowledged)


def get(session: Session, *, incident_id: int) -> Incident | None:
    return session.get(Incident, incident_id)


def get_by_pagerduty_id(session: Session, *, pagerduty_id: str) -> Incident | None:
    return session.scalar(
        select(Incident).where(
            (Incident.dedup_key == f"pagerduty:{pagerduty_id}") | (Incident.source_ref == pagerduty_id)
        )
    )


def latest(session: Session) -> Incident | None:
    return session.scalar(select(Incident).order_by(Incident.page_at.desc(), Incident.id.desc()).limit(1))


class IncidentRefError(CopilotError):
    """An incident reference (``ID|latest``) that names no incident."""


def by_ref(session: Session, ref: str | int) -> Incident:
    """The incident a command line names: an id, or ``latest``; IncidentRefError otherwise."""
    text = str(ref).strip()
    if text == "latest":
        incident = latest(session)
    elif text.isdigit():
        incident = get(session, incident_id=int(text))
    else:
        raise IncidentRefError(f"not an incident id: {text!r} (a number or 'latest')")
    if incident is None:
        raise IncidentRefError(f"no incident {text} in the store", title="Not found")
    return incident


def list_incidents(session: Session, *, open_only: bool = False, limit: int = 200) -> list[Incident]:
    query = select(Incident)
    if open_only:
        query = query.where(Incident.status.in_([str(s) for s in OPEN]))
    return list(session.scalars(query.order_by(Incident.page_at.desc(), Incident.id.desc()).limit(limit)))


def find_open_for_component(
    session: Session, *, component: str, around: datetime, window: timedelta
) -> Incident | None:
    """An open incident on ``component`` paged within ``window`` of ``around`` (alert grouping)."""
    return session.scalar(
        select(Incident)
        .where(
            Incident.component == component,
            Incident.status.in_([str(s) for s in OPEN]),
            Incident.page_at >= around - window,
            Incident.page_at <= around + window,
        )
        .order_by(Incident.page_at)
        .limit(1)
    )


def alert_by_fingerprint(session: Session, *, source: str, fingerprint: str) -> Alert | None:
    """The latest stored firing (by ``starts_at``) of the alert named ``fingerprint``."""
    return session.scalar(
        select(Alert)
        .where(Alert.source == source, Alert.fingerprint == fingerprint)
        .order_by(Alert.starts_at.desc(), Alert.id.desc())
        .limit(1)
    )


def alert_instance(session: Session, *, source: str, fingerprint: str, starts_at: datetime) -> Alert | None:
    """The one stored firing of an alert: Alertmanager's (fingerprint, startsAt)."""
    return session.scalar(
        select(Alert).where(Alert.source == source, Alert.fingerprint == fingerprint, Alert.starts_at == starts_at)
    )


def set_status(
    session: Session, *, incident: Incident, status: IncidentStatus, at: datetime, reason: str, source: str
) -> bool:
    """Move the incident to ``status`` and record it on the timeline; False when already there."""
    if incident.status == status:
        return False
    incident.status = str(status)
    if status == IncidentStatus.acknowledged and incident.acknowledged_at is None:
        incident.acknowledged_at = at
    if status == IncidentStatus.resolved:
        incident.resolved_at = at
    session.flush()
    log_event(
        session,
        incident_id=incident.id,
        kind=EventKind.incident_state,
        key=f"state/{status}",
        at=at,
        source=source,
        summary=f"incident {status}: {reason}",
        details={"status": str(status), "reason": reason},
        component=incident.component,
    )
    return True


def find_by_page(session: Session, *, source: str, alert: str | None) -> Incident | None:
    """The incident a scenario's page opened: the PagerDuty incident id, or the alert name."""
    for incident in list_incidents(session, limit=10_000):
        if source == "pagerduty" and incident.source_ref == alert:
            return incident
        if any(a.name == alert or a.fingerprint == alert for a in incident.alerts):
            return incident
    return None
