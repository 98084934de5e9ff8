"""The analyzer's ground as the agent sees it: how each component connects to the page, when the
symptom began, and which callers name which failing dependency.

Built once per run from the analyzer's own modules (:func:`~incident.analysis.context.load_input`
as of the analysis' present, :class:`~incident.analysis.relevance.PathMap` with the same
error-named edges the analyzer ranks with, :func:`~incident.analysis.attribution.mentions`), so the
agent, its judge and the analyzer label a component alike. Everything kept is plain data: the
ground outlives the session it was read in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from incident.analysis.attribution import mentions
from incident.analysis.checks import TIMESTAMP, all_findings
from incident.analysis.context import AnalysisInput, load_input
from incident.analysis.relevance import PathMap, Relevance
from incident.analysis.timing import symptom_onset
from incident.details import HypothesisDetails, PodStateDetails
from incident.hypotheses import HypothesisDraft
from incident.models import MetricWindow, TimelineEvent
from incident.timeutil import as_utc, parse_time

PLACES = {
    "same": "the paged component",
    "downstream": "on the paged path",
    "upstream": "upstream of the page",
    "node": "shares a node",
    "datastore": "shares a datastore",
    "named": "named by errors on the path",
    "unknown": "unknown connection",
    "off_path": "off the paged path",
}
"""The coarse label of each :attr:`Relevance.how`, as the agent and its judge read it."""


@dataclass(frozen=True)
class Stamp:
    """Where and when a cited timeline event or metric window sits."""

    component: str | None
    at: datetime | None
    """A timeline event's time; None for metric windows (they end at the present)."""


@dataclass(frozen=True)
class Attribution:
    """An error line of ``caller`` naming ``target`` (from :func:`attribution.mentions`)."""

    caller: str
    target: str
    kind: str
    what: str
    event_id: str
    line: str


@dataclass
class Ground:
    paged: str | None
    page_at: datetime
    present: datetime
    """The analysis' present: nothing stamped after it is evidence."""
    symptom_onset: datetime | None
    paths: PathMap
    findings: dict[str, list[str]] = field(default_factory=dict)
    """component -> kinds of what the analyzer found on it (its checks and its hypotheses)."""
    attributions: list[Attribution] = field(default_factory=list)
    stamps: dict[str, Stamp] = field(default_factory=dict)
    """Every timeline event and metric window of the incident, those after the present included."""
    pods: dict[str, str] = field(default_factory=dict)
    """pod name -> component, from the gathered pod states."""
    nodes: dict[str, set[str]] = field(default_factory=dict)

    def relevance(self, component: str | None) -> Relevance:
        if not component:
            return Relevance(0.6, "unknown", "no component named")
        return self.paths.of(component)

    def place(self, component: str | None) -> str:
        return PLACES.get(self.relevance(component).how, "unknown connection")

    def after_present(self, at: datetime | None) -> bool:
        return at is not None and at > self.present


def _line_at(line: str) -> datetime | None:
    """The time a log line is stamped with (as the analyzer's log check reads it), if any."""
    m = TIMESTAMP.search(line[:64])
    return parse_time(m.group(0).replace(" ", "T")) if m else None


def _named_edges(findings: list[Any]) -> dict[str, set[str]]:
    """caller -> components its errors name: the edges the analyzer adds to the catalog graph."""
    named: dict[str, set[str]] = defaultdict(set)
    for f in findings:
        for caller in f.named_by:
            named[caller].add(f.component)
    return named


def _onset(data: AnalysisInput, analyzer: list[HypothesisDraft]) -> datetime | None:
    """The analyzer's symptom onset (it knows the paged metric's departure); else the alerts'."""
    for d in analyzer:
        why = HypothesisDetails.parse(d.details).why
        if why is not None and (at := parse_time(why.get("symptom_onset"))) is not None:
            return at
    return datetime.fromtimestamp(symptom_onset(data, None), UTC)


def build_ground(
    session: Session, incident_id: int, *, present: datetime, analyzer: list[HypothesisDraft]
) -> tuple[Ground, list[TimelineEvent]]:
    """The ground of one incident at ``present``, and the timeline events known by then."""
    data = load_input(session, incident_id, now=present)
    found = all_findings(data)
    ground = Ground(
        paged=data.paged,
        page_at=as_utc(data.page_at),
        present=as_utc(data.present),
        symptom_onset=_onset(data, analyzer),
        paths=PathMap(data, _named_edges(found)),
        nodes={n: set(c) for n, c in data.nodes.items()},
    )
    kinds: dict[str, set[str]] = defaultdict(set)
    for f in found:
        kinds[f.component].add(f.kind)
    for d in analyzer:
        kinds[d.component].add(d.kind)
    ground.findings = {c: sorted(k) for c, k in kinds.items()}
    seen: set[tuple[str, str, str]] = set()
    for m in mentions(data):
        stamped = _line_at(m.line)
        if stamped is not None and stamped > ground.present:
            continue  # the analyzer's log check skips such lines too: hindsight
        if (m.caller, m.target, m.cls.kind) not in seen:
            seen.add((m.caller, m.target, m.cls.kind))
            what = m.cls.what + (" (the caller's own side fails)" if m.cls.blames_caller else "")
            ground.attributions.append(Attribution(m.caller, m.target, m.cls.kind, what, m.event_id, m.line))
    rows = session.execute(
        select(TimelineEvent.id, TimelineEvent.component, TimelineEvent.at).where(
            TimelineEvent.incident_id == incident_id
        )
    )
    ground.stamps = {rid: Stamp(comp, as_utc(at)) for rid, comp, at in rows}
    windows = session.execute(
        select(MetricWindow.id, MetricWindow.component).where(MetricWindow.incident_id == incident_id)
    )
    ground.stamps.update({wid: Stamp(comp, None) for wid, comp in windows})
    for ev in data.events_of("pod_state"):
        if not ev.component:
            continue
        pod = PodStateDetails.of(ev)
        names = [pod.pod, *pod.pods]
        ground.pods.update({n: ev.component for n in names if isinstance(n, str) and n})
    return ground, data.events
