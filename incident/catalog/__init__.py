"""The catalog in one place: component resolution (:mod:`.resolution`), the in-memory cache
(:mod:`.cache`), mirroring into the store (:mod:`.mirror`) and the one dependency graph
(:mod:`.graph`) that gathering, analysis, memory and the agent share. Connectors only read
Backstage or files into :class:`~connectors.base.ComponentInfo` / ``GroupInfo`` records."""

from incident.catalog.cache import CatalogCache
from incident.catalog.graph import DependencyGraph, load_graph
from incident.catalog.mirror import CatalogMirror, write_catalog
from incident.catalog.resolution import ComponentIndex, label_values, resolve_component

__all__ = [
    "CatalogCache",
    "CatalogMirror",
    "ComponentIndex",
    "DependencyGraph",
    "label_values",
    "load_graph",
    "resolve_component",
    "write_catalog",
]
