"""Relevance to the page: how a component connects to the paged one.

An on-call engineer asks of every finding "is this on the path of what paged me?". A cause must be
able to reach the paged component: be it, be something it depends on (however deep), share a
node or a datastore with it, or be named by the errors on the path. A finding on a component the
catalog knows but that connects in none of these ways is *off the paged path*: shown, labelled and
ranked below connected ones. A component the catalog has no edges for at all is *of unknown
connection*: missing topology is not evidence of being unrelated.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from incident.analysis.context import AnalysisInput
from incident.analysis.localisation import DATASTORE_TYPES

DOWNSTREAM_WEIGHT = {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0, 5: 1.0}
"""A dependency ``hops`` away from the paged component (further: ``FAR``). Anything on the paged
path can cause the page, and call graphs split one service into several nodes (a load balancer, a
function and its runtime), so hops count only for the far end of a long chain; among comparable
departures on the path the deeper one explains the nearer ones (``rank``), not the other way round."""
FAR = 0.9
UPSTREAM_WEIGHT = {1: 0.6, 2: 0.5}
"""A caller of the paged component: only load it sends can reach it."""
SHARED = 0.55
"""Shares a node or a datastore with the paged component."""
UNKNOWN = 0.6
"""The catalog has no edges for it: its connection cannot be judged."""
OFF_PATH = 0.25


@dataclass(frozen=True)
class Relevance:
    weight: float
    """Multiplier in (0, 1] applied to a finding's strength."""
    how: str
    """same | downstream | upstream | node | datastore | named | unknown | off_path"""
    label: str
    hops: int | None = None

    @property
    def connected(self) -> bool:
        return self.how not in ("off_path", "unknown")

    def as_dict(self) -> dict[str, object]:
        return {"label": self.label, "connected": self.connected, "hops": self.hops, "how": self.how}


class PathMap:
    """Relevance of every component to the paged one, from the catalog graph, pod placement,
    shared datastores and the dependencies the incident's own errors name."""

    def __init__(self, data: AnalysisInput, named: dict[str, set[str]] | None = None) -> None:
        self.data = data
        self.paged = data.paged
        graph: dict[str, set[str]] = defaultdict(set)
        for name, declared in data.depends_on.items():
            graph[name].update(declared)
        for caller, refs in data.env_refs.items():
            graph[caller].update(r for r in refs if r != caller)
        for caller, targets in (named or {}).items():
            graph[caller].update(t for t in targets if t != caller)
        self.graph = graph
        self.callers: dict[str, set[str]] = defaultdict(set)
        for name, targets in graph.items():
            for target in targets:
                self.callers[target].add(name)
        self.down = self._bfs(self.paged, graph) if self.paged else {}
        self.up = self._bfs(self.paged, self.callers) if self.paged else {}
        self._cache: dict[str, Relevance] = {}
        self._below: dict[str, dict[str, int]] = {}

    def below(self, component: str) -> dict[str, int]:
        """What ``component`` reaches through dependencies (itself at 0), memoised."""
        if component not in self._below:
            self._below[component] = self._bfs(component, self.graph)
        return self._below[component]

    @staticmethod
    def _bfs(start: str, edges: dict[str, set[str]]) -> dict[str, int]:
        hops = {start: 0}
        frontier = [start]
        while frontier:
            nxt = []
            for name in frontier:
                for other in edges.get(name, ()):
                    if other not in hops:
                        hops[other] = hops[name] + 1
                        nxt.append(other)
            frontier = nxt
        return hops

    def on_path(self, component: str) -> bool:
        """Downstream of the paged component (or it): a failure there can surface as the page."""
        return component in self.down

    def nodes_of(self, component: str) -> set[str]:
        return {n for n, comps in self.data.nodes.items() if component in comps}

    def of(self, component: str) -> Relevance:
        if component not in self._cache:
            self._cache[component] = self._relevance(component)
        return self._cache[component]

    def _relevance(self, comp: str) -> Relevance:
        paged = self.paged
        if paged is None:
            return Relevance(UNKNOWN, "unknown", "no paged component to relate it to")
        if comp == paged:
            return Relevance(1.0, "same", "the paged component", 0)
        if comp in self.down:
            hops = self.down[comp]
            declared = set(self.data.depends_on.get(paged, [])) | set(self.data.env_refs.get(paged, []))
            via = " (named by its errors)" if hops == 1 and comp not in declared else ""
            return Relevance(
                DOWNSTREAM_WEIGHT.get(hops, FAR),
                "downstream",
                f"{hops} hop{'s' if hops > 1 else ''} downstream of {paged}{via}",
                hops,
            )
        shared_nodes = self.nodes_of(comp) & self.nodes_of(paged)
        shared_stores = {
            d
            for d in (self.graph.get(comp, set()) & self.graph.get(paged, set())) - {comp, paged}
            if self.data.types.get(d, "").lower() in DATASTORE_TYPES
        }
        if comp in self.up and self.up[comp] <= 2:
            hops = self.up[comp]
            return Relevance(
                UPSTREAM_WEIGHT[hops], "upstream", f"{hops} hop{'s' if hops > 1 else ''} upstream of {paged}", hops
            )
        if shared_stores:
            return Relevance(SHARED, "datastore", f"shares {sorted(shared_stores)[0]} with {paged}")
        if shared_nodes:
            return Relevance(SHARED, "node", f"shares node {sorted(shared_nodes)[0]} with {paged}")
        if not self.graph.get(comp) and not self.callers.get(comp):
            return Relevance(UNKNOWN, "unknown", "no dependency edges known for it")
        return Relevance(OFF_PATH, "off_path", f"off the paged path (no connection to {paged})")
