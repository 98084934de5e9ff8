"""Pinned timeline events, shared by everyone on the incident (kept in the store)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from incident.models import Pin, TimelineEvent


def pins_of(session: Session, incident_id: int) -> list[Pin]:
    """The incident's pins (who pinned which event, when), oldest first."""
    return list(session.scalars(select(Pin).where(Pin.incident_id == incident_id).order_by(Pin.at, Pin.event_id)))


def pinned(session: Session, incident_id: int) -> list[str]:
    """Event ids pinned on the incident, oldest pin first."""
    return [p.event_id for p in pins_of(session, incident_id)]


def toggle_pin(session: Session, incident_id: int, event_id: str, *, who: str) -> bool:
    """Pin or unpin an event of the incident (the caller commits); returns whether it is pinned now."""
    existing = session.get(Pin, (incident_id, event_id))
    if existing is not None:
        session.delete(existing)
        return False
    event = session.get(TimelineEvent, event_id)
    if event is None or event.incident_id != incident_id:
        raise ValueError(f"event {event_id} is not on incident {incident_id}")
    session.add(Pin(incident_id=incident_id, event_id=event_id, who=who))
    return True
