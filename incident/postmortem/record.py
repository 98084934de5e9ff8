"""Build the postmortem record from the store (and nothing else): facts, figures, timeline, findings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from incident.catalog.notes import note_id
from incident.changepoints import format_value, signal_label
from incident.config import Settings
from incident.details import (
    ActionEventDetails,
    ConnectorErrorDetails,
    HypothesisDetails,
    HypothesisEventDetails,
    MetricChangeDetails,
    NoteDetails,
)
from incident.errors import CopilotError
from incident.hypotheses import ranked
from incident.kinds import MEANING
from incident.llm import clip
from incident.models import (
    Action,
    Component,
    EventKind,
    Hypothesis,
    Incident,
    MetricWindow,
    Pin,
    TimelineEvent,
)
from incident.pins import pins_of
from incident.postmortem import findings, fmt
from incident.postmortem.alert_peak import floor_peak
from incident.postmortem.metrics import before_and_extreme, latency_peak, peak, slo_burn, value_at
from incident.postmortem.model import (
    ConnectorGap,
    Detection,
    EvidenceItem,
    ExecutedAction,
    Figure,
    PostmortemRecord,
    RejectedHypothesis,
    RootCause,
    SloBurn,
    TimelineItem,
)
from incident.redact import redact
from incident.timeline import timeline

TIMELINE_CAP = 25
SYSTEM_SOURCES = frozenset(
    {"agent", "alertmanager", "analyzer", "catalog", "copilot", "intake", "kubernetes", "pagerduty", "prometheus"}
)
"""Timeline sources that are parts of the copilot or connectors, never people (notes by them have no author)."""
CHANGE_KINDS = ("deploy", "config_change", "change_event")
SYMPTOM_SIGNALS = ("error_ratio", "latency")
TERMINATION_REASONS = frozenset({"OOMKilled", "OOMKilling"})
"""Container (pod status) and node (event) reasons of a kill at the memory limit."""
EXECUTED = ("succeeded", "failed", "unknown", "executing")
_PRIORITY = {
    "incident_state": 0,
    "first_alert": 1,
    "action": 2,
    "verdict": 3,
    "person_note": 4,
    "termination": 5,
    "change": 6,
    "metric_change": 7,
    "diagnosis": 8,
    "alert": 9,
    "note": 10,
}
"""Which key events stay when there are more than :data:`TIMELINE_CAP` (lower stays first)."""


class PostmortemError(CopilotError):
    title = "Cannot draft the postmortem"


def _dedup(items: list[str | None]) -> list[str]:
    return list(dict.fromkeys(i.strip() for i in items if i and i.strip()))


def _item(event: TimelineEvent, *, pin: Pin | None = None) -> TimelineItem:
    return TimelineItem(
        event_id=event.id,
        at=event.at,
        kind=event.kind,
        source=event.source,
        component=event.component,
        summary=redact(event.summary),
        pinned=pin is not None,
        pinned_by=pin.who if pin else None,
    )


def _is_person_note(event: TimelineEvent) -> bool:
    return event.kind == EventKind.note and (bool(NoteDetails.of(event).author) or event.source not in SYSTEM_SOURCES)


def _note_author(event: TimelineEvent) -> str:
    return NoteDetails.of(event).author or event.source


def is_termination(event: TimelineEvent) -> bool:
    """A container killed for its memory limit: a pod whose container's current or last termination
    reason is one of :data:`TERMINATION_REASONS`, or a Kubernetes event with such a reason."""
    details = event.details or {}
    if event.kind == EventKind.pod_state:
        containers = details.get("containers") or []
        reasons = {c.get(key) for c in containers if isinstance(c, dict) for key in ("reason", "last_reason")}
        return bool(reasons & TERMINATION_REASONS)
    if event.kind == EventKind.k8s_event:
        return details.get("reason") in TERMINATION_REASONS
    return False


def _key_class(event: TimelineEvent, affected: set[str], seen: set[str], top_hypothesis: str | None) -> str | None:
    """Why an event is a key event (its priority class), or None; ``seen`` collects the classes and
    signals already met (only the first alert and the first change of each signal rank high)."""
    kind = event.kind
    if kind == EventKind.alert:
        first = "first_alert" not in seen
        seen.add("first_alert")
        return "first_alert" if first else "alert"
    if kind == EventKind.incident_state:
        return "incident_state"
    if kind in CHANGE_KINDS:
        return "change"
    if is_termination(event) and event.component in affected:
        return "termination"
    if kind == EventKind.action:
        return None if ActionEventDetails.of(event).what == "executing" else "action"
    if kind == EventKind.note:
        return "person_note" if _is_person_note(event) else "note"
    if kind == EventKind.hypothesis:
        ranked = HypothesisEventDetails.of(event)
        if ranked.verdict:
            return "verdict"
        return "diagnosis" if top_hypothesis and ranked.hypothesis_id == top_hypothesis else None
    if kind == EventKind.metric_change and event.component in affected:
        signal = str(MetricChangeDetails.of(event).signal or event.summary)
        if signal not in seen:
            seen.add(signal)
            return "metric_change"
    return None


def key_events(
    events: list[TimelineEvent],
    pins: list[Pin],
    *,
    affected: set[str],
    top_hypothesis: str | None,
    cap: int = TIMELINE_CAP,
) -> tuple[list[TimelineItem], int]:
    """Pinned events first (oldest pin first), then the key events in time order, at most ``cap`` in all;
    returns the items and how many key events did not fit."""
    by_id = {e.id: e for e in events}
    head = [_item(by_id[p.event_id], pin=p) for p in pins if p.event_id in by_id]
    pinned_ids = {p.event_id for p in pins}
    seen: set[str] = set()
    candidates = []
    for index, event in enumerate(events):
        cls = _key_class(event, affected, seen, top_hypothesis)
        if cls is not None and event.id not in pinned_ids:
            candidates.append((index, cls, event))
    room = max(cap - len(head), 0)
    kept = sorted(candidates, key=lambda c: (_PRIORITY[c[1]], c[0]))[:room]
    kept.sort(key=lambda c: c[0])
    return head + [_item(e) for _, _, e in kept], len(candidates) - len(kept)


def _onset(events: list[TimelineEvent], affected: set[str], standard_units: bool) -> Figure | None:
    """The earliest metric change on an affected component; symptoms (errors, latency) first, since the
    detection lag is measured from when users were hurt, else any signal (memory before an OOM)."""
    changes = [e for e in events if e.kind == EventKind.metric_change and e.component in affected]
    symptoms = [e for e in changes if str(MetricChangeDetails.of(e).signal or "").startswith(SYMPTOM_SIGNALS)]
    changes = symptoms or changes
    if not changes:
        return None
    first = min(changes, key=lambda e: e.at)
    d = MetricChangeDetails.of(first)
    signal = str(d.signal or "metric")
    value = float(d.after) if d.after is not None else float("nan")
    text = d.after_text or format_value(signal, value, standard_units=standard_units)
    return Figure(
        component=first.component or "", signal=signal, value=value, at=first.at, text=text, label=signal_label(signal)
    )


def _change_onsets(events: list[TimelineEvent]) -> dict[tuple[str, str], datetime]:
    """(component, signal) -> when its recorded metric change began."""
    out: dict[tuple[str, str], datetime] = {}
    for e in events:
        if e.kind != EventKind.metric_change:
            continue
        signal = MetricChangeDetails.of(e).signal
        if e.component and signal:
            out.setdefault((e.component, str(signal)), e.at)
    return out


def _window_text(window: MetricWindow, onset: datetime, end: datetime) -> str:
    found = before_and_extreme(window, onset, end)
    label = signal_label(window.signal)
    if found is None:
        return f"{label} on {window.component}: no points between {fmt.utc(onset)} and {fmt.utc(end)}"
    base, extreme = found
    return (
        f"{label} on {window.component}: {format_value(window.signal, base)} -> {extreme.text} "
        f"(at {fmt.utc(extreme.at)})"
    )


def _evidence(
    session: Session, hyp: Hypothesis, onsets: dict[tuple[str, str], datetime], onset: datetime, end: datetime
) -> list[EvidenceItem]:
    """Cited ids as text; a metric window splits at its own recorded change (else the incident's onset)."""
    out = []
    tool_results = HypothesisDetails.of(hyp).tool_results
    for item in hyp.evidence or []:
        ref = str(item.get("ref", "")) if isinstance(item, dict) else str(item)
        note = item.get("note", "") if isinstance(item, dict) else ""
        if ref.startswith("mw_"):
            window = session.get(MetricWindow, ref)
            split = onsets.get((window.component, window.signal), onset) if window else onset
            text = _window_text(window, split, end) if window else "(metric window no longer stored)"
        elif ref.startswith("ev_"):
            event = session.get(TimelineEvent, ref)
            text = f"{fmt.utc(event.at)}, {event.kind}: {event.summary}" if event else "(event no longer stored)"
        elif ref in tool_results:  # the agent keeps its cited tool results with the hypothesis
            r = tool_results[ref]
            content = clip(str(r.get("content", "")), 500)
            text = f"the agent's {r.get('tool', 'tool')} result ({r.get('status', '?')}): {content}"
        else:
            text = "a tool result of the agent's investigation (not kept in the store)"
        if note:
            text += f" ({note})"
        out.append(EvidenceItem(ref=ref, text=redact(text)))
    return out


def _trigger(session: Session, hyp: Hypothesis) -> TimelineItem | None:
    for item in hyp.evidence or []:
        ref = item.get("ref") if isinstance(item, dict) else item
        event = session.get(TimelineEvent, str(ref)) if str(ref).startswith("ev_") else None
        if event is not None and event.kind in CHANGE_KINDS:
            return _item(event)
    return None


def _root_cause(
    session: Session, hyp: Hypothesis, onsets: dict[tuple[str, str], datetime], onset: datetime, end: datetime
) -> RootCause:
    return RootCause(
        hypothesis_id=hyp.id,
        source=hyp.source,
        rank=hyp.rank,
        kind=hyp.kind,
        meaning=MEANING.get(hyp.kind, hyp.kind),
        component=hyp.component,
        confidence=hyp.confidence,
        summary=redact(hyp.summary),
        confirmed=hyp.status == "confirmed",
        verdict_by=hyp.verdict_by,
        verdict_at=hyp.verdict_at,
        verdict_note=redact(hyp.verdict_note) if hyp.verdict_note else None,
        evidence=_evidence(session, hyp, onsets, onset, end),
        trigger=_trigger(session, hyp),
    )


def _executed(action: Action) -> ExecutedAction:
    result = action.result or {}
    outcome = action.error or result.get("message") or action.status
    return ExecutedAction(
        action_id=action.id,
        type=action.type,
        title=action.title,
        target=action.target,
        status=action.status,
        approved_by=action.approved_by,
        approved_at=action.approved_at,
        executed_by=action.executed_by,
        executed_at=action.executed_at,
        finished_at=action.finished_at,
        outcome=redact(str(outcome)),
        params=dict(action.params or {}),
        result=dict(result),
    )


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    return None if later is None or earlier is None else (later - earlier).total_seconds()


@dataclass
class _Impact:
    onset: Figure | None
    start: datetime
    end: datetime
    peak_error: Figure | None
    peak_latency: Figure | None
    request_rate: Figure | None
    slos: list[SloBurn]


def _impact(
    settings: Settings,
    incident: Incident,
    events: list[TimelineEvent],
    windows: list[MetricWindow],
    affected: list[str],
) -> _Impact:
    """Peaks over [onset, resolution] on the affected components, and SLO burn where an SLO is configured."""
    standard = not settings.metrics.signals
    mine = [w for w in windows if w.component in affected]
    onset = _onset(events, set(affected), standard)
    start = onset.at if onset else incident.page_at - settings.metrics.onset_window
    ends = [w.end for w in mine]
    end = incident.resolved_at or (max(ends) if ends else incident.page_at)
    peak_error = floor_peak(peak(mine, "error_ratio", start, end, standard_units=standard), incident.alerts, affected)
    request_rate = value_at(mine, peak_error.component, "request_rate", peak_error.at) if peak_error else None
    slos: list[SloBurn] = []
    for component, slo in sorted(settings.postmortem.slos.items()):
        for w in windows:
            burn = slo_burn(w, slo, start, end) if (w.component, w.signal) == (component, "error_ratio") else None
            if burn is not None:
                slos.append(burn)
    return _Impact(
        onset=onset,
        start=start,
        end=end,
        peak_error=peak_error,
        peak_latency=latency_peak(mine, start, end, standard_units=standard),
        request_rate=request_rate,
        slos=slos,
    )


def _detection(incident: Incident, impact: _Impact, executed: list[ExecutedAction]) -> Detection:
    succeeded = [a for a in executed if a.status == "succeeded" and a.finished_at]
    mitigation = min(succeeded, key=lambda a: a.finished_at or incident.page_at, default=None)
    alerts = sorted(incident.alerts, key=lambda a: (a.starts_at, a.id))
    lag = _seconds(incident.page_at, impact.start) if impact.onset else None
    return Detection(
        first_alert_at=alerts[0].starts_at if alerts else None,
        first_alert=alerts[0].name if alerts else None,
        page_at=incident.page_at,
        onset=impact.onset,
        onset_at=impact.start,
        onset_from_metrics=impact.onset is not None,
        detection_lag=lag if lag is None or lag >= 0 else None,
        acknowledged_at=incident.acknowledged_at,
        time_to_ack=_seconds(incident.acknowledged_at, incident.page_at),
        mitigated_at=mitigation.finished_at if mitigation else None,
        mitigated_by=mitigation.title if mitigation else None,
        time_to_mitigate=_seconds(mitigation.finished_at, incident.page_at) if mitigation else None,
        resolved_at=incident.resolved_at,
        time_to_resolve=_seconds(incident.resolved_at, incident.page_at),
    )


def _authors(
    incident: Incident, actions: list[Action], hyps: list[Hypothesis], events: list[TimelineEvent], pins: list[Pin]
) -> list[str]:
    """PagerDuty on-call, then who approved or executed actions, gave verdicts, wrote notes, changed the
    incident's state by hand, pinned events: each once, in that order."""
    verdicts = sorted((h for h in hyps if h.verdict_at), key=lambda h: (h.verdict_at, h.id))
    return _dedup(
        [
            *(incident.oncall or "").split(","),
            *(who for a in actions for who in (a.approved_by, a.executed_by)),
            *(h.verdict_by for h in verdicts),
            *(_note_author(e) for e in events if _is_person_note(e)),
            *(e.source for e in events if e.kind == EventKind.incident_state and e.source not in SYSTEM_SOURCES),
            *(p.who for p in pins),
        ]
    )


def _stale_component_note(session: Session, incident: Incident) -> str | None:
    """The id of intake's "not in the catalog" note when the mirrored catalog knows the component
    (a note from before the catalog was read), so the draft never repeats it."""
    if incident.component and session.get(Component, incident.component) is not None:
        return note_id(incident.id)
    return None


def build_record(session: Session, incident_id: int, settings: Settings) -> PostmortemRecord:
    """Everything the draft says about incident ``incident_id``, read from the store."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise PostmortemError(f"no incident {incident_id} in the store", title="Not found")
    stale = _stale_component_note(session, incident)
    events = [e for e in timeline(session, incident_id) if e.kind != EventKind.postmortem and e.id != stale]
    hyps = list(session.scalars(select(Hypothesis).where(Hypothesis.incident_id == incident_id)))
    confirmed = sorted(
        (h for h in hyps if h.status == "confirmed"), key=lambda h: (h.rank or 10**6, h.source != "agent", h.id)
    )
    causes = confirmed or ranked(session, incident_id)[:1]
    affected = _dedup([incident.component, *(h.component for h in causes), *(a.component for a in incident.alerts)])
    windows = list(session.scalars(select(MetricWindow).where(MetricWindow.incident_id == incident_id)))
    impact = _impact(settings, incident, events, windows, affected)
    actions = list(
        session.scalars(select(Action).where(Action.incident_id == incident_id).order_by(Action.executed_at, Action.id))
    )
    executed = [_executed(a) for a in actions if a.status in EXECUTED and a.executed_at is not None]
    pins = pins_of(session, incident_id)
    top = causes[0].id if causes else None
    items, omitted = key_events(events, pins, affected=set(affected), top_hypothesis=top)
    duration = _seconds(incident.resolved_at, incident.page_at)
    onsets = _change_onsets(events)
    rec = PostmortemRecord(
        incident_id=incident.id,
        title=redact(incident.title),
        date=f"{incident.page_at:%Y-%m-%d}",
        status=incident.status,
        severity=incident.severity,
        component=incident.component,
        owner=incident.owner,
        source=incident.source,
        authors=_authors(incident, actions, hyps, events, pins),
        page_at=incident.page_at,
        resolved_at=incident.resolved_at,
        duration=duration,
        duration_text=fmt.duration(duration) if duration is not None else "ongoing",
        affected_components=affected,
        impact_start=impact.start,
        impact_end=impact.end,
        peak_error=impact.peak_error,
        peak_latency=impact.peak_latency,
        request_rate=impact.request_rate,
        terminations=[_item(e) for e in events if is_termination(e) and e.component in affected],
        slo=impact.slos,
        detection=_detection(incident, impact, executed),
        timeline=items,
        timeline_omitted=omitted,
        root_causes=[_root_cause(session, h, onsets, impact.start, impact.end) for h in causes],
        rejected=[
            RejectedHypothesis(
                kind=h.kind,
                component=h.component,
                rank=h.rank,
                source=h.source,
                verdict_by=h.verdict_by,
                verdict_note=redact(h.verdict_note) if h.verdict_note else None,
            )
            for h in sorted(hyps, key=lambda h: (h.rank or 10**6, h.id))
            if h.status == "rejected"
        ],
        resolution=executed,
        gaps=[
            ConnectorGap(
                source=e.source, summary=redact(e.summary), recovered=bool(ConnectorErrorDetails.of(e).recovered_at)
            )
            for e in events
            if e.kind == EventKind.connector_error
        ],
    )
    # action items name the affected components only (root causes and the metric onset are among them)
    owners = dict(session.execute(select(Component.name, Component.owner).where(Component.name.in_(affected))).all())
    rec.went_well = findings.went_well(rec)
    rec.went_wrong = findings.went_wrong(rec)
    rec.lucky = findings.lucky(rec)
    rec.action_items = findings.action_items(rec, owners)
    return rec
