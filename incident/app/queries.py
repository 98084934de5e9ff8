"""Read models: what a front end shows of the store, as frozen records safe to hand from a worker
thread to a UI (the TUI, the CLI, a future MCP server).

Everything here blocks. :func:`store_version` is the cheap query a UI polls to notice writes of
other processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from incident import quarantine, service
from incident.actions.audit import audit_log, verify_audit
from incident.actions.chain import Break
from incident.actions.proposals import list_actions, sync_proposals
from incident.config import Settings
from incident.details import HypothesisDetails, MemoryDetails, MetricChangeDetails
from incident.errors import CopilotError
from incident.explain import Explanation, explain
from incident.hypotheses import ranked
from incident.models import Action, Alert, Hypothesis, Incident, MetricWindow, Pin, QuarantinedAlert, TimelineEvent
from incident.pins import pinned
from incident.quarantine import QuarantinedView
from incident.runbooks.step import Step, steps_of
from incident.stats import Stats, compute_stats
from incident.store import Store
from incident.timeline import timeline

__all__ = [
    "QUARANTINE_SHOWN",
    "ActionRow",
    "AlertRow",
    "AuditRow",
    "Detail",
    "EventRow",
    "HypothesisRow",
    "IncidentRow",
    "QuarantinedView",
    "Record",
    "WindowRow",
    "action_row",
    "audit_entries",
    "doctor_quarantine",
    "find_by_page",
    "firing_alerts",
    "incident_id_of",
    "incident_stats",
    "list_incidents",
    "load_detail",
    "load_explanation",
    "load_record",
    "quarantined",
    "store_version",
    "verify_audit_log",
]


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

    @classmethod
    def of(cls, e: TimelineEvent) -> EventRow:
        return cls(e.id, e.kind, e.at, e.source, e.summary, e.component, dict(e.details or {}))


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
    steps: tuple[Step, ...] = field(hash=False, compare=False)
    status: str = "proposed"
    """proposed, or a person's verdict: confirmed / rejected."""
    verdict_by: str | None = None
    memory: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    """How team memory moved its confidence (``details["memory"]``), when it did."""
    tool_results: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    """The agent's cited tool results (``tr_...`` evidence), kept with the hypothesis."""
    refutation: str = ""
    """What observation would refute it ("" when none was recorded)."""
    notes: tuple[str, ...] = ()
    """Each evidence ref's note ("" when none), in the order of :attr:`evidence`."""

    @classmethod
    def of(cls, h: Hypothesis) -> HypothesisRow:
        details = HypothesisDetails.of(h)
        return cls(
            h.id,
            h.rank,
            h.kind,
            h.component,
            h.confidence,
            h.summary,
            h.source,
            tuple(str(e.get("ref")) for e in h.evidence if isinstance(e, dict)),
            tuple(steps_of(h.steps)),
            h.status,
            h.verdict_by,
            dict(details.memory or {}),
            dict(details.tool_results),
            h.refutation or "",
            tuple(str(e.get("note") or "") for e in h.evidence if isinstance(e, dict)),
        )


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


def action_row(a: Action) -> ActionRow:
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


@dataclass(frozen=True)
class Detail:
    incident: IncidentRow
    events: tuple[EventRow, ...]
    hypotheses: tuple[HypothesisRow, ...]
    windows: tuple[WindowRow, ...]
    actions: tuple[ActionRow, ...]
    actions_note: str | None
    """Why actions cannot be shown (reading them failed), else None."""
    pins: frozenset[str] = frozenset()
    """Pinned event ids (shared in the store by everyone on the incident)."""
    actions_synced: object = field(default=None, compare=False, hash=False)
    """The marker of the hypotheses the actions were last synced from (pass it back as ``synced``)."""

    @property
    def similar(self) -> list[EventRow]:
        """Team memory: the similar past incidents found for this one, best first."""
        found = [e for e in self.events if e.kind == "memory"]
        return sorted(found, key=lambda e: -float(MemoryDetails.of(e).score or 0))


@dataclass(frozen=True)
class Record:
    """An incident as the CLI prints it: the incident, its timeline and its shown hypotheses."""

    incident: IncidentRow
    events: tuple[EventRow, ...]
    hypotheses: tuple[HypothesisRow, ...]


def store_version(store: Store) -> tuple[Any, ...]:
    """A fingerprint of everything a UI shows; it changes whenever another process writes."""
    with store.session() as s:
        count, top, gathered = s.execute(
            select(func.count(Incident.id), func.max(Incident.id), func.max(Incident.gathered_at))
        ).one()
        events = s.scalar(select(func.max(TimelineEvent.updated_at)))
        hypotheses = s.scalar(select(func.max(Hypothesis.updated_at)))
        pins = s.execute(select(func.count(), func.max(Pin.at)).select_from(Pin)).one()
        held = s.execute(select(func.count(), func.max(QuarantinedAlert.id)).select_from(QuarantinedAlert)).one()
    return (count, top, gathered, events, hypotheses, tuple(pins), tuple(held))


def list_incidents(store: Store, *, open_only: bool = False) -> list[IncidentRow]:
    """Every incident (or the open ones), newest first."""
    with store.session() as s:
        return [IncidentRow.of(i) for i in service.list_incidents(s, open_only=open_only)]


@dataclass(frozen=True)
class AlertRow:
    """One alert of an incident, as a confirmation lists it."""

    name: str
    component: str | None
    severity: str | None
    source: str
    starts_at: datetime


def firing_alerts(store: Store, incident_id: int) -> list[AlertRow]:
    """The incident's alerts that have not resolved, oldest first: what acknowledging or resolving
    the incident leaves firing at the source."""
    with store.session() as s:
        rows = s.scalars(
            select(Alert)
            .where(Alert.incident_id == incident_id, Alert.status != "resolved")
            .order_by(Alert.starts_at, Alert.id)
        )
        return [AlertRow(a.name, a.component, a.severity, a.source, a.starts_at) for a in rows]


def find_by_page(store: Store, *, source: str, alert: str | None) -> IncidentRow | None:
    """The incident a page opened: the PagerDuty incident id, or the alert's name or fingerprint."""
    with store.session() as s:
        found = service.find_by_page(s, source=source, alert=alert)
        return None if found is None else IncidentRow.of(found)


QUARANTINE_SHOWN = 200
"""Quarantined alerts a UI lists (the newest); its notice counts them all."""


def quarantined(store: Store, *, limit: int = QUARANTINE_SHOWN) -> tuple[int, list[QuarantinedView]]:
    """(how many alerts are quarantined, the newest ``limit`` of them); ``limit=0`` only counts."""
    with store.session() as s:
        return quarantine.recent(s, limit=limit)


def _onsets(events: Sequence[EventRow]) -> dict[tuple[str | None, str], tuple[datetime, str]]:
    out: dict[tuple[str | None, str], tuple[datetime, str]] = {}
    for e in events:
        if e.kind != "metric_change":
            continue
        d = MetricChangeDetails.of(e)
        if d.signal and d.onset:
            onset = d.onset if isinstance(d.onset, datetime) else datetime.fromisoformat(d.onset)
            before, after = (text if text is not None else "?" for text in (d.before_text, d.after_text))
            change = f"{before} -> {after}"
            out.setdefault((e.component, d.signal), (onset, change))
    return out


def _windows(
    s: Session, incident: Incident, hyps: Sequence[HypothesisRow], events: Sequence[EventRow]
) -> list[WindowRow]:
    """The paged component's windows and any other a shown hypothesis cites."""
    cited = {ref for h in hyps for ref in h.evidence if ref.startswith("mw_")}
    query = select(MetricWindow).where(MetricWindow.incident_id == incident.id)
    query = query.where((MetricWindow.component == incident.component) | MetricWindow.id.in_(cited))
    onsets = _onsets(events)
    windows = []
    for w in s.scalars(query.order_by(MetricWindow.component, MetricWindow.signal)):
        onset, change = onsets.get((w.component, w.signal), (None, None))
        points = tuple((float(t), float(v)) for t, v in w.points if v is not None)
        windows.append(WindowRow(w.id, w.component, w.signal, w.start, w.end, points, onset, change))
    return windows


def _actions(
    s: Session, incident_id: int, settings: Settings | None, synced: object
) -> tuple[list[ActionRow], str | None, object]:
    """The incident's actions, and the marker of the hypotheses they were synced from.

    Proposals are made when hypotheses are saved (:mod:`incident.app.finalise`); a reader with
    ``settings`` re-syncs them only when the hypotheses changed since ``synced`` (the marker it
    got last time), which marks still-proposed actions allowed or not under the reader's
    ``[actions]`` config without a refresh loop rewriting the store."""
    marker = tuple(
        s.execute(
            select(func.count(Hypothesis.id), func.max(Hypothesis.updated_at)).where(
                Hypothesis.incident_id == incident_id
            )
        ).one()
    )
    try:
        if settings is not None and marker != synced:
            sync_proposals(s, incident_id=incident_id, settings=settings)
            s.flush()
        return [action_row(a) for a in list_actions(s, incident_id=incident_id)], None, marker
    except CopilotError as exc:
        return [], f"actions unavailable: {exc.message}", synced


def load_detail(
    store: Store, incident_id: int, *, settings: Settings | None = None, synced: object = None
) -> Detail | None:
    """The incident view's data (None when there is no such incident); see :func:`_actions` for
    ``settings`` and ``synced``."""
    with store.session() as s:
        incident = service.get(s, incident_id=incident_id)
        if incident is None:
            return None
        events = [EventRow.of(e) for e in timeline(s, incident_id)]
        hyps = [HypothesisRow.of(h) for h in ranked(s, incident_id)]
        windows = _windows(s, incident, hyps, events)
        action_rows, note, marker = _actions(s, incident_id, settings, synced)
        pins = frozenset(pinned(s, incident_id))
        return Detail(
            IncidentRow.of(incident),
            tuple(events),
            tuple(hyps),
            tuple(windows),
            tuple(action_rows),
            note,
            pins,
            marker,
        )


def load_record(store: Store, ref: str | int) -> Record:
    """The incident ``ref`` names (an id or ``latest``; ``IncidentRefError`` otherwise), its
    timeline and its shown hypotheses, best first."""
    with store.session() as s:
        incident = service.by_ref(s, ref)
        return Record(
            IncidentRow.of(incident),
            tuple(EventRow.of(e) for e in timeline(s, incident.id)),
            tuple(HypothesisRow.of(h) for h in ranked(s, incident.id)),
        )


def load_explanation(
    store: Store, ref: str | int, hypothesis_id: str | None = None, *, rank: int | None = None
) -> Explanation:
    """Why the shown hypotheses of incident ``ref`` rank where they do (:mod:`incident.explain`),
    and #1 over #2: all of them, or only the one with ``hypothesis_id`` or at ``rank`` (1-based)."""
    with store.session() as s:
        return explain(s, service.by_ref(s, ref), rank=rank, hypothesis_id=hypothesis_id)


def incident_id_of(store: Store, ref: str | int) -> int:
    """The id of the incident ``ref`` names (an id or ``latest``; ``IncidentRefError`` otherwise)."""
    with store.session() as s:
        return service.by_ref(s, ref).id


@dataclass(frozen=True)
class AuditRow:
    """One entry of the append-only audit log of actions."""

    id: int
    at: datetime
    incident_id: int
    action_id: str | None
    who: str
    what: str
    detail: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


def audit_entries(store: Store, *, incident_id: int | None = None) -> list[AuditRow]:
    """The audit log in the order it was written, of one incident or of all."""
    with store.session() as s:
        return [
            AuditRow(e.id, e.at, e.incident_id, e.action_id, e.who, e.what, dict(e.detail or {}))
            for e in audit_log(s, incident_id=incident_id)
        ]


def verify_audit_log(store: Store) -> tuple[int, Break | None]:
    """Check the audit log's hash chain: (rows checked, the first broken link or None)."""
    with store.session() as s:
        return verify_audit(s)


def incident_stats(store: Store, *, since: datetime | None = None) -> Stats:
    """Incidents per component, MTTA/MTTR and the analyses' accuracy, over incidents paged since ``since``."""
    with store.session() as s:
        return compute_stats(s, since=since)


def doctor_quarantine(store: Store) -> list[str]:
    """What ``incident doctor`` says of quarantined alerts: nothing when there are none."""
    with store.session() as s:
        return quarantine.doctor_lines(s)
