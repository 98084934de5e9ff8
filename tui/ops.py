"""What the on-call does from the TUI: notes, acknowledge/resolve, and approvals through the
actions contract (``incident.actions``).

The one place ``incident.actions`` is imported: when it is missing or broken the approval panes
say "actions unavailable" and everything else keeps working. Every function blocks; callers run
them in thread workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from incident import feedback, pins, service
from incident.config import Settings
from incident.errors import CopilotError
from incident.models import EventKind, Hypothesis, IncidentStatus
from incident.store import Store
from incident.timeline import log_event
from tui import data
from tui.data import ActionRow

try:
    from incident import actions as _actions
except ImportError as exc:  # the actions backend is a separate part; degrade, don't crash
    _actions = None
    UNAVAILABLE: str | None = f"actions unavailable ({exc})"
else:
    UNAVAILABLE = None


class ActionsUnavailable(CopilotError):
    title = "Actions unavailable"


@dataclass(frozen=True)
class PreviewView:
    """What the confirmation screen shows (a copy of ``incident.actions.Preview``)."""

    action: ActionRow
    lines: tuple[str, ...]
    allowed: bool
    reason: str | None
    error: str | None


def _require() -> Any:
    if _actions is None:
        raise ActionsUnavailable(UNAVAILABLE or "actions unavailable")
    return _actions


def who(settings: Settings) -> str:
    if _actions is not None:
        return str(_actions.operator_name(settings))
    import getpass

    return getpass.getuser()


def action_row(a: Any) -> ActionRow:
    return ActionRow(
        id=a.id,
        type=a.type,
        title=a.title or a.type,
        target=a.target or "",
        namespace=a.namespace,
        status=a.status,
        allowed=bool(a.allowed),
        disallowed_reason=a.disallowed_reason,
        hypothesis_id=a.hypothesis_id,
        error=a.error,
    )


def load_actions(
    session: Session, incident_id: int, settings: Settings, *, synced: object
) -> tuple[list[ActionRow], str | None, object]:
    """The incident's actions, and the marker of the hypotheses they were synced from.

    Proposals are synced from the shown hypotheses only when those changed since ``synced``
    (the marker returned last time), so a refresh loop never rewrites the store."""
    if _actions is None:
        return [], UNAVAILABLE, synced
    marker = session.execute(
        select(func.count(Hypothesis.id), func.max(Hypothesis.updated_at)).where(Hypothesis.incident_id == incident_id)
    ).one()
    marker = tuple(marker)
    try:
        if marker != synced:
            _actions.sync_proposals(session, incident_id=incident_id, settings=settings)
            session.flush()
        return [action_row(a) for a in _actions.list_actions(session, incident_id=incident_id)], None, marker
    except CopilotError as exc:
        return [], f"actions unavailable: {exc.message}", synced


def preview(store: Store, action_id: str, *, connectors: Any, settings: Settings) -> PreviewView:
    """Dry-run one action: exactly what would change. Never mutates anything."""
    actions = _require()
    with store.session() as s:
        action = s.get(actions.Action, action_id)
        if action is None:
            raise CopilotError(f"no action {action_id}", title="Not found")
        row = action_row(action)
        p = actions.preview(action=action, connectors=connectors, settings=settings)
    return PreviewView(row, tuple(p.lines), bool(p.allowed), p.reason, p.error)


def approve_and_execute(store: Store, action_id: str, *, connectors: Any, settings: Settings) -> ActionRow:
    """Record the approval first, then execute; the returned row says how it ended."""
    actions = _require()
    name = who(settings)
    actions.approve(store, action_id=action_id, who=name)
    return action_row(actions.execute(store, action_id=action_id, connectors=connectors, settings=settings, who=name))


def reject(store: Store, action_id: str, *, settings: Settings, reason: str) -> ActionRow:
    return action_row(_require().reject(store, action_id=action_id, who=who(settings), reason=reason))


def add_note(store: Store, incident_id: int, text: str, *, settings: Settings) -> str:
    at = data.now()
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


def change_status(store: Store, incident_id: int, status: IncidentStatus, *, settings: Settings) -> str | None:
    """Acknowledge or resolve. A PagerDuty-sourced incident changes in PagerDuty through a proposed
    action, whose id is returned for the confirmation screen; any other incident only changes in
    the store, with the timeline saying who did it (returns None)."""
    verb = "acknowledge" if status == IncidentStatus.acknowledged else "resolve"
    with store.session() as s:
        incident = service.get(s, incident_id=incident_id)
        if incident is None:
            raise CopilotError(f"no incident {incident_id}", title="Not found")
        if incident.source == "pagerduty" and incident.source_ref:
            action = _require().propose(
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
            status=status,
            at=data.now(),
            reason=f"{verb}d by {who(settings)} in the TUI",
            source="tui",
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


def export_postmortem(store: Store, incident_id: int, *, settings: Settings) -> Path:
    """Write the incident's postmortem draft to the export directory; the file's path."""
    from incident.postmortem import export_path, write_postmortem

    path = export_path(settings, incident_id)
    write_postmortem(store, incident_id, settings, who=who(settings), path=path)
    return path
