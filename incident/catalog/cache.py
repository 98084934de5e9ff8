"""The last catalog read, kept in memory for intake (label resolution) and gathering (related components)."""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.base import CatalogSource, ComponentInfo, GroupInfo
from incident.catalog.graph import DependencyGraph
from incident.catalog.resolution import ComponentIndex


@dataclass
class CatalogCache:
    """The last catalog read: components and groups by name (refreshed by the ownership task)."""

    components: dict[str, ComponentInfo] = field(default_factory=dict)
    groups: dict[str, GroupInfo] = field(default_factory=dict)
    loaded: bool = False
    index: ComponentIndex = field(default_factory=lambda: ComponentIndex(()))
    """Built once per refresh, for resolving alert labels to components."""

    @property
    def graph(self) -> DependencyGraph:
        """The dependency graph of :attr:`components` (built on each call: they may be swapped whole)."""
        return DependencyGraph.of(self.components.values())

    def related(self, component: str | None, *, limit: int = 24) -> tuple[str, ...]:
        """See :meth:`DependencyGraph.related`."""
        return self.graph.related(component, limit=limit)

    def namespace(self, component: str | None) -> str | None:
        """The Kubernetes namespace the catalog gives ``component``, if any."""
        info = self.components.get(component or "")
        return info.namespace if info else None

    def refresh(self, source: CatalogSource) -> None:
        """Read ``source`` whole and swap it in (a failed read raises and keeps the last one)."""
        components = {c.name: c for c in source.components()}
        groups = {g.name: g for g in source.groups()}
        self.components, self.groups, self.loaded = components, groups, True
        self.index = ComponentIndex(components.values(), groups.values())
