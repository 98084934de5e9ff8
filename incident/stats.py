"""``incident stats``: incidents per component, MTTA and MTTR, and diagnosis accuracy from feedback.

Accuracy counts people's verdicts (:mod:`incident.feedback`), separately for the analyzer and the
agent: per kind, confirmed / (confirmed + rejected); and top-1, the share of incidents with a
verdict on a source's hypotheses where that source's rank-1 hypothesis was confirmed.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

from incident.models import Hypothesis, Incident, IncidentStatus

SOURCES = ("analyzer", "agent")
UNKNOWN_COMPONENT = "(unknown)"


class Durations(BaseModel):
    """Mean and median of a set of durations, in seconds (None when there are none)."""

    count: int = 0
    mean_seconds: float | None = None
    median_seconds: float | None = None

    @classmethod
    def of(cls, seconds: Iterable[float]) -> Durations:
        values = list(seconds)
        if not values:
            return cls()
        return cls(
            count=len(values),
            mean_seconds=round(statistics.fmean(values), 3),
            median_seconds=round(statistics.median(values), 3),
        )


class ComponentStats(BaseModel):
    component: str
    total: int = 0
    open: int = 0
    resolved: int = 0
    mtta: Durations = Field(default_factory=Durations)
    """acknowledged_at - page_at, over the acknowledged incidents."""
    mttr: Durations = Field(default_factory=Durations)
    """resolved_at - page_at, over the resolved incidents."""


class KindAccuracy(BaseModel):
    kind: str
    confirmed: int = 0
    rejected: int = 0
    accuracy: float | None = None
    """confirmed / (confirmed + rejected); None without verdicts."""


class SourceAccuracy(BaseModel):
    source: str
    confirmed: int = 0
    rejected: int = 0
    accuracy: float | None = None
    incidents_with_verdict: int = 0
    top1_confirmed: int = 0
    top1_accuracy: float | None = None
    kinds: list[KindAccuracy] = Field(default_factory=list)


class Stats(BaseModel):
    since: datetime | None = None
    incidents: int = 0
    open: int = 0
    resolved: int = 0
    mtta: Durations = Field(default_factory=Durations)
    mttr: Durations = Field(default_factory=Durations)
    components: list[ComponentStats] = Field(default_factory=list)
    """Most incidents first."""
    accuracy: list[SourceAccuracy] = Field(default_factory=list)
    """One per source (analyzer, agent), in that order."""
    verdicts: int = 0
    """Hypotheses confirmed or marked wrong in total; 0 means no feedback yet."""


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _component_stats(name: str, incidents: list[Incident]) -> ComponentStats:
    return ComponentStats(
        component=name,
        total=len(incidents),
        open=sum(1 for i in incidents if i.status != IncidentStatus.resolved),
        resolved=sum(1 for i in incidents if i.status == IncidentStatus.resolved),
        mtta=Durations.of((i.acknowledged_at - i.page_at).total_seconds() for i in incidents if i.acknowledged_at),
        mttr=Durations.of((i.resolved_at - i.page_at).total_seconds() for i in incidents if i.resolved_at),
    )


def _accuracy(source: str, rows: list[Hypothesis]) -> SourceAccuracy:
    judged = [h for h in rows if h.source == source and h.status in ("confirmed", "rejected")]
    per_kind: dict[str, list[str]] = defaultdict(list)
    for h in judged:
        per_kind[h.kind].append(h.status)
    kinds = [
        KindAccuracy(
            kind=kind,
            confirmed=statuses.count("confirmed"),
            rejected=statuses.count("rejected"),
            accuracy=_ratio(statuses.count("confirmed"), len(statuses)),
        )
        for kind, statuses in sorted(per_kind.items())
    ]
    incidents = {h.incident_id for h in judged}
    top1 = {h.incident_id for h in judged if h.rank == 1 and h.status == "confirmed"}
    confirmed = sum(k.confirmed for k in kinds)
    return SourceAccuracy(
        source=source,
        confirmed=confirmed,
        rejected=len(judged) - confirmed,
        accuracy=_ratio(confirmed, len(judged)),
        incidents_with_verdict=len(incidents),
        top1_confirmed=len(top1),
        top1_accuracy=_ratio(len(top1), len(incidents)),
        kinds=kinds,
    )


def compute_stats(session: Session, *, since: datetime | None = None) -> Stats:
    """Statistics over the incidents paged at or after ``since`` (all of them when None)."""
    query = select(Incident).options(
        load_only(Incident.component, Incident.status, Incident.page_at, Incident.acknowledged_at, Incident.resolved_at)
    )
    if since is not None:
        query = query.where(Incident.page_at >= since)
    incidents = list(session.scalars(query.order_by(Incident.id)))
    by_component: dict[str, list[Incident]] = defaultdict(list)
    for i in incidents:
        by_component[i.component or UNKNOWN_COMPONENT].append(i)
    verdicts = select(Hypothesis).options(
        load_only(Hypothesis.incident_id, Hypothesis.source, Hypothesis.rank, Hypothesis.kind, Hypothesis.status)
    )
    verdicts = verdicts.where(Hypothesis.status.in_(["confirmed", "rejected"]))
    if since is not None:
        verdicts = verdicts.where(Hypothesis.incident_id.in_(select(Incident.id).where(Incident.page_at >= since)))
    judged = list(session.scalars(verdicts))
    overall = _component_stats("", incidents)
    components = [_component_stats(name, rows) for name, rows in by_component.items()]
    components.sort(key=lambda c: (-c.total, c.component))
    return Stats(
        since=since,
        incidents=overall.total,
        open=overall.open,
        resolved=overall.resolved,
        mtta=overall.mtta,
        mttr=overall.mttr,
        components=components,
        accuracy=[_accuracy(source, judged) for source in SOURCES],
        verdicts=len(judged),
    )
