"""Store reads for the TUI as plain frozen records, safe to hand from a worker thread to the UI.

Everything here blocks (it runs in ``@work(thread=True)`` workers) and reads through the
incident/ services only. :func:`store_version` is the cheap query the app polls every second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from incident import clock, quarantine, service
from incident.explain import Explanation, explain
from incident.hypotheses import ranked
from incident.models import Hypothesis, Incident, MetricWindow, Pin, QuarantinedAlert, TimelineEvent
from incident.pins import pinned
from incident.quarantine import QuarantinedView
from incident.store import Store
from incident.timeline import timeline


def now() -> datetime:
    """The UI's clock (ages, note times; shifted in a scenario replay); tests pin it."""
    return clock.now()


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
    status: str = "proposed"
    """proposed, or a person's verdict: confirmed / rejected."""
    verdict_by: str | None = None
    memory: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    """How team memory moved its confidence (``details["memory"]``), when it did."""
    tool_results: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    """The agent's cited tool results (``tr_...`` evidence), kept with the hypothesis."""


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
    pins: frozenset[str] = frozenset()
    """Pinned event ids (shared in the store by everyone on the incident)."""

    @property
    def similar(self) -> list[EventRow]:
        """Team memory: the similar past incidents found for this one, best first."""
        found = [e for e in self.events if e.kind == "memory"]
        return sorted(found, key=lambda e: -float(e.details.get("score") or 0))


def store_version(store: Store) -> tuple[Any, ...]:
    """A fingerprint of everything the TUI shows; it changes whenever another process writes."""
    with store.session() as s:
        count, top, gathered = s.execute(
            select(func.count(Incident.id), func.max(Incident.id), func.max(Incident.gathered_at))
        ).one()
        events = s.scalar(select(func.max(TimelineEvent.updated_at)))
        hypotheses = s.scalar(select(func.max(Hypothesis.updated_at)))
        pins = s.execute(select(func.count(), func.max(Pin.at)).select_from(Pin)).one()
        held = s.execute(select(func.count(), func.max(QuarantinedAlert.id)).select_from(QuarantinedAlert)).one()
    return (count, top, gathered, events, hypotheses, tuple(pins), tuple(held))


def list_incidents(store: Store) -> list[IncidentRow]:
    with store.session() as s:
        return [IncidentRow.of(i) for i in service.list_incidents(s)]


QUARANTINE_SHOWN = 200
"""Quarantined alerts the TUI lists (the newest); the notice counts them all."""


def quarantined(store: Store, *, limit: int = QUARANTINE_SHOWN) -> tuple[int, list[QuarantinedView]]:
    """(how many alerts are quarantined, the newest ``limit`` of them); ``limit=0`` only counts."""
    with store.session() as s:
        return quarantine.recent(s, limit=limit)


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
                h.status,
                h.verdict_by,
                dict((h.details or {}).get("memory") or {}),
                dict((h.details or {}).get("tool_results") or {}),
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
        pins = frozenset(pinned(s, incident_id))
        return Detail(
            IncidentRow.of(incident), tuple(events), tuple(hyps), tuple(windows), tuple(action_rows), note, pins
        )


def load_explanation(store: Store, incident_id: int, hypothesis_id: str) -> Explanation:
    """Why one shown hypothesis ranks where it does (:mod:`incident.explain`), and #1 over #2."""
    with store.session() as s:
        return explain(s, service.by_ref(s, incident_id), hypothesis_id=hypothesis_id)
