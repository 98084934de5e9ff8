"""Store reads for the TUI as plain frozen records, safe to hand from a worker thread to the UI.

Everything here blocks (it runs in ``@work(thread=True)`` workers) and reads through the
incident/ services only. :func:`store_version` is the cheap query the app polls every second.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from incident import service
from incident.hypotheses import ranked
from incident.locations import data_dir
from incident.models import Hypothesis, Incident, MetricWindow, TimelineEvent
from incident.store import Store
from incident.timeline import timeline


def now() -> datetime:
    """The UI's clock (ages, note times); tests pin it."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class IncidentRow:
    id: int
    title: str
    status: str
    severity: str | None
    component: str | None
    namespace: str | None
    owner: str | None
    oncall: str | None
    source: str
    source_ref: str | None
    page_at: datetime

    @classmethod
    def of(cls, i: Incident) -> IncidentRow:
        return cls(
            i.id,
            i.title,
            i.status,
            i.severity,
            i.component,
            i.namespace,
            i.owner,
            i.oncall,
            i.source,
            i.source_ref,
            i.page_at,
        )


@dataclass(frozen=True)
class EventRow:
    id: str
    kind: str
    at: datetime
    source: str
    summary: str
    component: str | None
    details: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class HypothesisRow:
    id: str
    rank: int | None
    kind: str
    component: str
    confidence: float
    summary: str
    source: str
    evidence: tuple[str, ...]
    steps: tuple[dict[str, Any], ...] = field(hash=False, compare=False)


@dataclass(frozen=True)
class WindowRow:
    """One stored metric window, with the onset of its change when the analysis found one."""

    id: str
    component: str
    signal: str
    start: datetime
    end: datetime
    points: tuple[tuple[float, float], ...]
    onset: datetime | None = None
    change: str | None = None
    """e.g. ``0.33% -> 19.1%``"""


@dataclass(frozen=True)
class ActionRow:
    id: str
    type: str
    title: str
    target: str
    namespace: str | None
    status: str
    allowed: bool
    disallowed_reason: str | None
    hypothesis_id: str | None
    error: str | None


@dataclass(frozen=True)
class Detail:
    incident: IncidentRow
    events: tuple[EventRow, ...]
    hypotheses: tuple[HypothesisRow, ...]
    windows: tuple[WindowRow, ...]
    actions: tuple[ActionRow, ...]
    actions_note: str | None
    """Why actions cannot be shown (the backend is missing or failed), else None."""


def store_version(store: Store) -> tuple[Any, ...]:
    """A fingerprint of everything the TUI shows; it changes whenever another process writes."""
    with store.session() as s:
        count, top, gathered = s.execute(
            select(func.count(Incident.id), func.max(Incident.id), func.max(Incident.gathered_at))
        ).one()
        events = s.scalar(select(func.max(TimelineEvent.updated_at)))
        hypotheses = s.scalar(select(func.max(Hypothesis.updated_at)))
    return (count, top, gathered, events, hypotheses)


def list_incidents(store: Store) -> list[IncidentRow]:
    with store.session() as s:
        return [IncidentRow.of(i) for i in service.list_incidents(s)]


def _event(e: TimelineEvent) -> EventRow:
    return EventRow(e.id, e.kind, e.at, e.source, e.summary, e.component, dict(e.details or {}))


def _onsets(events: list[EventRow]) -> dict[tuple[str | None, str], tuple[datetime, str]]:
    out: dict[tuple[str | None, str], tuple[datetime, str]] = {}
    for e in events:
        signal, onset = e.details.get("signal"), e.details.get("onset")
        if e.kind == "metric_change" and signal and onset:
            change = f"{e.details.get('before_text', '?')} -> {e.details.get('after_text', '?')}"
            out.setdefault((e.component, signal), (datetime.fromisoformat(onset), change))
    return out


def load_detail(store: Store, incident_id: int, *, actions: Any = None) -> Detail | None:
    """The incident view's data; ``actions(session) -> (rows, note)`` adds the approvals part."""
    with store.session() as s:
        incident = service.get(s, incident_id=incident_id)
        if incident is None:
            return None
        events = [_event(e) for e in timeline(s, incident_id)]
        hyps = [
            HypothesisRow(
                h.id,
                h.rank,
                h.kind,
                h.component,
                h.confidence,
                h.summary,
                h.source,
                tuple(str(e.get("ref")) for e in h.evidence if isinstance(e, dict)),
                tuple(h.steps or ()),
            )
            for h in ranked(s, incident_id)
        ]
        cited = {ref for h in hyps for ref in h.evidence if ref.startswith("mw_")}
        query = select(MetricWindow).where(MetricWindow.incident_id == incident_id)
        query = query.where((MetricWindow.component == incident.component) | MetricWindow.id.in_(cited))
        onsets = _onsets(events)
        windows = []
        for w in s.scalars(query.order_by(MetricWindow.component, MetricWindow.signal)):
            onset, change = onsets.get((w.component, w.signal), (None, None))
            points = tuple((float(t), float(v)) for t, v in w.points if v is not None)
            windows.append(WindowRow(w.id, w.component, w.signal, w.start, w.end, points, onset, change))
        action_rows, note = actions(s) if actions is not None else ((), None)
        return Detail(IncidentRow.of(incident), tuple(events), tuple(hyps), tuple(windows), tuple(action_rows), note)


class Pins:
    """Pinned timeline events per incident, kept in the XDG data dir across sessions."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        """The store's URL: incident ids are only unique within one store."""
        self.path = data_dir() / "tui-pins.json"
        try:
            self._data: dict[str, list[str]] = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self._data = {}

    def of(self, incident_id: int) -> set[str]:
        return set(self._data.get(f"{self.scope}#{incident_id}", []))

    def toggle(self, incident_id: int, event_id: str) -> bool:
        """Pin or unpin; returns whether the event is pinned now."""
        pins = self.of(incident_id)
        pinned = event_id not in pins
        pins = pins | {event_id} if pinned else pins - {event_id}
        self._data[f"{self.scope}#{incident_id}"] = sorted(pins)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(self._data))
        except OSError:  # pins are a convenience; an unwritable data dir keeps them in memory
            pass
        return pinned
