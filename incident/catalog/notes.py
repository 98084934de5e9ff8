"""The intake note saying an incident's component is unknown to the catalog, kept true to the catalog.

Intake writes it only when the catalog it resolved against was loaded; gathering re-checks it once the
catalog is read (:meth:`CatalogMirror.sync`) and drops it when the catalog knows the component, so
neither the timeline nor the postmortem keeps a stale note.
"""

from __future__ import annotations

from collections.abc import Container

from sqlalchemy.orm import Session

from incident.models import EventKind, Incident, TimelineEvent
from incident.timeline import event_id, log_event

NOTE_KEY = "intake/component"
"""Timeline key of the note (one per incident, upserted)."""


def note_id(incident_id: int) -> str:
    """Event id of the incident's component note."""
    return event_id(incident_id, str(EventKind.note), NOTE_KEY)


def write_component_note(
    session: Session, incident: Incident, labels: dict[str, str], guess: str | None, label_keys: list[str]
) -> None:
    """Say that the alert labels name ``guess``, unknown to the catalog (or no component at all)."""
    keys = ", ".join(label_keys)
    summary = (
        f"component '{guess}' from the alert labels is not in the catalog"
        if guess
        else f"the alert labels name no component (tried {keys}); set [catalog] alert_label_keys"
    )
    log_event(
        session,
        incident_id=incident.id,
        kind=EventKind.note,
        key=NOTE_KEY,
        at=incident.page_at,
        source="intake",
        summary=summary,
        details={"labels": labels, "tried": keys},
    )


def recheck_component_note(session: Session, incident: Incident, known: Container[str]) -> None:
    """Drop the note once a loaded catalog (naming ``known`` components) knows the incident's component.

    A component still unknown needs no note from here: the ownership task says "no catalog entry" for it.
    """
    if not incident.component or incident.component not in known:
        return
    current = session.get(TimelineEvent, note_id(incident.id))
    if current is not None:
        session.delete(current)
        session.flush()
