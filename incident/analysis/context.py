"""What the analyzer reads: one incident's timeline, metric windows and dependency graph, from the store."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from incident.models import Component, Incident, MetricWindow, TimelineEvent
from incident.timeline import timeline


@dataclass
class Series:
    window_id: str
    component: str
    signal: str
    ts: np.ndarray
    values: np.ndarray


@dataclass
class AnalysisInput:
    incident: Incident
    page_at: datetime
    events: list[TimelineEvent]
    series: dict[str, dict[str, Series]] = field(default_factory=dict)
    """component -> signal -> series"""
    depends_on: dict[str, list[str]] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    """component -> catalog spec.type (service, database, cache, ...)"""

    @property
    def paged(self) -> str | None:
        return self.incident.component

    def components(self) -> set[str]:
        names = set(self.series) | set(self.depends_on)
        for deps in self.depends_on.values():
            names.update(deps)
        if self.paged:
            names.add(self.paged)
        return names

    def dependents(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for name, deps in self.depends_on.items():
            for dep in deps:
                out[dep].append(name)
        return out

    def downstream(self, component: str) -> dict[str, int]:
        """Everything ``component`` depends on, transitively, with its distance in hops."""
        hops: dict[str, int] = {}
        frontier = [component]
        depth = 0
        while frontier:
            depth += 1
            nxt = []
            for name in frontier:
                for dep in self.depends_on.get(name, []):
                    if dep not in hops and dep != component:
                        hops[dep] = depth
                        nxt.append(dep)
            frontier = nxt
        return hops

    def events_of(self, *kinds: str) -> list[TimelineEvent]:
        return [e for e in self.events if e.kind in kinds]


def load_input(session: Session, incident_id: int) -> AnalysisInput:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise LookupError(f"no incident {incident_id}")
    data = AnalysisInput(incident=incident, page_at=incident.page_at, events=timeline(session, incident_id))
    for w in session.scalars(select(MetricWindow).where(MetricWindow.incident_id == incident_id)):
        pts = np.asarray(w.points, dtype=float).reshape(-1, 2) if w.points else np.empty((0, 2))
        data.series.setdefault(w.component, {})[w.signal] = Series(w.id, w.component, w.signal, pts[:, 0], pts[:, 1])
    for c in session.scalars(select(Component)):
        data.depends_on[c.name] = list(c.depends_on or [])
        if c.type:
            data.types[c.name] = c.type
    return data
