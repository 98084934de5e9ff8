"""Put similar past incidents on the timeline: one ``memory`` event per match."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from incident.memory.model import Match
from incident.memory.resolution import describe
from incident.memory.search import find_similar
from incident.models import EventKind, Pin, TimelineEvent, utcnow
from incident.timeline import event_id, log_event


def memory_summary(match: Match) -> str:
    """``similar to #12 (82%): <title>; resolved by: <action>; confirmed: deploy_regression on checkout``."""
    text = f"similar to #{match.past_incident_id} ({match.score:.0%}): {match.title}"
    how = describe(match.resolved_by)
    if how:
        return f"{text}; {how}"
    return f"{text}; {match.status}, nothing recorded as resolving it"


def record_similar(session: Session, incident_id: int, *, at: datetime | None = None) -> list[Match]:
    """Write the similar past incidents as ``memory`` events stamped ``at`` (the caller commits).

    Idempotent: each past incident has one event (key ``memory/<past id>``) that a refresh updates.
    A past incident no longer similar (a verdict was withdrawn, the diagnosis changed) loses its
    event, unless someone pinned it.
    """
    matches = find_similar(session, incident_id)
    at = at or utcnow()
    keep = set()
    for m in matches:
        keep.add(
            log_event(
                session,
                incident_id=incident_id,
                kind=EventKind.memory,
                key=f"memory/{m.past_incident_id}",
                at=at,
                source="memory",
                summary=memory_summary(m),
                details=m.model_dump(mode="json"),
                component=m.component,
            )
        )
    pinned = select(Pin.event_id).where(Pin.incident_id == incident_id)
    session.execute(
        delete(TimelineEvent).where(
            TimelineEvent.incident_id == incident_id,
            TimelineEvent.kind == str(EventKind.memory),
            TimelineEvent.id.not_in(keep),
            TimelineEvent.id.not_in(pinned),
        )
    )
    return matches


def memory_event_id(incident_id: int, past_incident_id: int) -> str:
    """The timeline event id of ``past_incident_id`` on ``incident_id``'s timeline."""
    return event_id(incident_id, str(EventKind.memory), f"memory/{past_incident_id}")
