"""What a person does on an incident, from any front end: notes, acknowledge/resolve, pins,
verdicts, action approvals (through :mod:`incident.actions`) and the postmortem draft.

Each command opens its own transaction on ``store`` and names the operator from ``settings``
(``[actions] operator``, else the login name). Every function blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from incident import actions, clock, feedback, pins, service
from incident.app.queries import ActionRow, action_row
from incident.config import Settings
from incident.errors import CopilotError
from incident.models import EventKind, IncidentStatus
from incident.store import Store
from incident.timeline import log_event

if TYPE_CHECKING:
    from incident.postmortem import PostmortemResult

Status = Literal["acknowledged", "resolved"]


@dataclass(frozen=True)
class PreviewView:
    """What a confirmation shows before approval (a copy of ``incident.actions.Preview``)."""

    action: ActionRow
    lines: tuple[str, ...]
    allowed: bool
    reason: str | None
    error: str | None


def who(settings: Settings) -> str:
    """The operator named on the timeline and the audit log."""
    return actions.operator_name(settings)


def preview(store: Store, action_id: str, *, connectors: Any, settings: Settings) -> PreviewView:
    """Dry-run one action: exactly what would change. Never mutates anything."""
    with store.session() as s:
        action = s.get(actions.Action, action_id)
        if action is None:
            raise CopilotError(f"no action {action_id}", title="Not found")
        row = action_row(action)
        p = actions.preview(action=action, connectors=connectors, settings=settings)
    return PreviewView(row, tuple(p.lines), bool(p.allowed), p.reason, p.error)


def approve_and_execute(store: Store, action_id: str, *, connectors: Any, settings: Settings) -> ActionRow:
    """Record the approval first, then execute; the returned row says how it ended."""
    name = who(settings)
    actions.approve(store, action_id=action_id, who=name)
    return action_row(actions.execute(store, action_id=action_id, connectors=connectors, settings=settings, who=name))


def reject(store: Store, action_id: str, *, settings: Settings, reason: str) -> ActionRow:
    return action_row(actions.reject(store, action_id=action_id, who=who(settings), reason=reason))


def add_note(store: Store, incident_id: int, text: str, *, settings: Settings, at: datetime) -> str:
    """A note on the timeline at ``at``, by the operator; its event id."""
    with store.session() as s:
        incident = service.get(s, incident_id=incident_id)
        return log_event(
            s,
            incident_id=incident_id,
            kind=EventKind.note,
            key=f"note/{at.isoformat()}",
            at=at,
            source=who(settings),
            summary=text,
            component=incident.component if incident else None,
        )


def change_status(
    store: Store,
    incident_id: int,
    status: Status,
    *,
    settings: Settings,
    at: datetime,
    source: str = "tui",
    where: str = "the TUI",
) -> str | None:
    """Acknowledge or resolve. A PagerDuty-sourced incident changes in PagerDuty through a proposed
    action, whose id is returned for a confirmation; any other incident only changes in the
    store, with the timeline saying who did it and where (``source``, ``where``; returns None)."""
    verb = "acknowledge" if status == "acknowledged" else "resolve"
    with store.session() as s:
        incident = service.get(s, incident_id=incident_id)
        if incident is None:
            raise CopilotError(f"no incident {incident_id}", title="Not found")
        if incident.source == "pagerduty" and incident.source_ref:
            action = actions.propose(
                s,
                incident_id=incident_id,
                type=f"pagerduty.{verb}",
                params={"incident_id": incident.source_ref},
                settings=settings,
            )
            return str(action.id)
        service.set_status(
            s,
            incident=incident,
            status=IncidentStatus(status),
            at=at,
            reason=f"{verb}d by {who(settings)} in {where}",
            source=source,
        )
        return None


def toggle_pin(store: Store, incident_id: int, event_id: str, *, settings: Settings) -> bool:
    """Pin or unpin a timeline event for everyone on the incident; whether it is pinned now."""
    with store.session() as s:
        return pins.toggle_pin(s, incident_id, event_id, who=who(settings))


def set_verdict(store: Store, hypothesis_id: str, verdict: str, *, settings: Settings) -> None:
    """Mark a hypothesis confirmed, wrong (``rejected``) or undecided (``proposed``)."""
    with store.session() as s:
        feedback.set_verdict(s, hypothesis_id, verdict, who=who(settings))


def export_postmortem(store: Store, incident_id: int, *, settings: Settings, at: datetime | None = None) -> Path:
    """Write the incident's postmortem draft to the export directory under a name no earlier draft
    has (see :func:`fresh_export_path`); the file's absolute path."""
    from incident.postmortem import export_path  # slow to import (LLM client); only when asked

    directory = export_path(settings, incident_id).parent.resolve()
    path = fresh_export_path(directory, incident_id, at or clock.now())
    draft_postmortem(store, incident_id, settings=settings, path=path)
    return path


def fresh_export_path(directory: Path, incident_id: int, at: datetime) -> Path:
    """``postmortem-incident-<id>-<YYYY-MM-DD>.md`` in ``directory``, with ``-2``, ``-3``… added
    when a draft of that day is there already: an export never overwrites an earlier draft."""
    stem = f"postmortem-incident-{incident_id}-{at.astimezone(UTC):%Y-%m-%d}"
    path, n = directory / f"{stem}.md", 1
    while path.exists():
        n += 1
        path = directory / f"{stem}-{n}.md"
    return path


def draft_postmortem(
    store: Store, ref: str | int, *, settings: Settings, path: Path | None = None, use_llm: bool | None = None
) -> PostmortemResult:
    """Draft and store the postmortem of incident ``ref`` (an id or ``latest``), written to ``path``
    when given; ``use_llm`` None follows ``[postmortem] llm``. Raises ``IncidentRefError`` or
    ``PostmortemError``."""
    from incident.postmortem import write_postmortem  # slow to import (LLM client); only when asked

    with store.session() as s:
        number = service.by_ref(s, ref).id
    return write_postmortem(store, number, settings, who=who(settings), path=path, use_llm=use_llm)
