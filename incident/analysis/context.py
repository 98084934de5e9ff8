"""What the analyzer reads: one incident's timeline, metric windows and the catalog's dependency graph."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from incident.catalog.graph import DependencyGraph, load_graph
from incident.details import PodStateDetails, TopologyDetails
from incident.models import Incident, MetricWindow, TimelineEvent
from incident.timeline import timeline
from incident.timeutil import as_utc


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
    now: datetime | None = None
    """The analysis' present: the page time in a replay, the refresh window's end live. Nothing
    stamped after it is evidence (it would be hindsight, or a clock that cannot be trusted)."""
    addresses: dict[str, str] = field(default_factory=dict)
    """Host names, DNS names and IPs -> component (the gathered ``topology`` event)."""
    env_refs: dict[str, list[str]] = field(default_factory=dict)
    """caller -> components its pods' environment names"""
    nodes: dict[str, set[str]] = field(default_factory=dict)
    """node -> components with a pod on it"""
    _graph: DependencyGraph | None = field(default=None, repr=False)

    @property
    def paged(self) -> str | None:
        return self.incident.component

    @property
    def present(self) -> datetime:
        return self.now or self.page_at

    def components(self) -> set[str]:
        names = set(self.series) | set(self.depends_on)
        for deps in self.depends_on.values():
            names.update(deps)
        if self.paged:
            names.add(self.paged)
        return names

    @property
    def graph(self) -> DependencyGraph:
        """The catalog's dependency graph (:mod:`incident.catalog.graph`) over :attr:`depends_on`,
        built once: the graph does not change during one analysis."""
        if self._graph is None:
            self._graph = DependencyGraph(self.depends_on, types=self.types)
        return self._graph

    def dependents(self) -> dict[str, list[str]]:
        return defaultdict(list, self.graph.all_dependents())

    def downstream(self, component: str) -> dict[str, int]:
        """Everything ``component`` depends on, transitively, with its distance in hops."""
        return self.graph.downstream(component)

    def events_of(self, *kinds: str) -> list[TimelineEvent]:
        return [e for e in self.events if e.kind in kinds]


def load_input(session: Session, incident_id: int, *, now: datetime | None = None) -> AnalysisInput:
    """The incident as the analyzer sees it at ``now`` (default: the page time): events stamped
    later are left out."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise LookupError(f"no incident {incident_id}")
    present = as_utc(now if now is not None else incident.page_at)
    events = [e for e in timeline(session, incident_id) if as_utc(e.at) <= present]
    data = AnalysisInput(incident=incident, page_at=incident.page_at, events=events, now=present)
    for w in session.scalars(select(MetricWindow).where(MetricWindow.incident_id == incident_id)):
        pts = np.asarray(w.points, dtype=float).reshape(-1, 2) if w.points else np.empty((0, 2))
        data.series.setdefault(w.component, {})[w.signal] = Series(w.id, w.component, w.signal, pts[:, 0], pts[:, 1])
    graph = load_graph(session)
    data.depends_on = {name: list(deps) for name, deps in graph.depends_on.items()}
    data.types = dict(graph.types)
    _load_topology(data)
    return data


def _load_topology(data: AnalysisInput) -> None:
    """Addresses, env references and pod placement from the ``topology`` event and pod states."""
    for ev in data.events_of("topology"):
        topology = TopologyDetails.of(ev)
        for addr, comp in topology.addresses.items():
            data.addresses[addr.lower()] = comp
        for caller, refs in topology.env_refs.items():
            data.env_refs.setdefault(caller, []).extend(refs)
        for node_name, comps in topology.nodes.items():
            data.nodes.setdefault(node_name, set()).update(comps)
    for ev in data.events_of("pod_state"):
        node = PodStateDetails.of(ev).node
        if node and ev.component:
            data.nodes.setdefault(node, set()).add(ev.component)
