"""One dependency graph: the catalog's records, the store's mirror of them and every reader agree."""

from __future__ import annotations

from connectors.base import ComponentInfo, GroupInfo
from incident.analysis.context import AnalysisInput
from incident.catalog import CatalogCache, CatalogMirror, ComponentIndex, DependencyGraph, load_graph
from incident.memory.similarity import load_catalog
from incident.models import Component, Group
from incident.store import Store

RECORDS = [
    ComponentInfo(name="web", depends_on=("api",), system="shop", type="service", owner="team-web"),
    ComponentInfo(name="api", depends_on=("db", "queue"), system="shop", type="service", owner="team-api"),
    ComponentInfo(name="db", depends_on=("disk",), type="database"),
    ComponentInfo(name="batch", depends_on=("db",), system="ops"),
    ComponentInfo(name="queue"),
]


def test_edges_both_ways_and_walks() -> None:
    graph = DependencyGraph.of(RECORDS)
    assert graph.dependencies("api") == ["db", "queue"]
    assert graph.dependents("db") == ["api", "batch"]
    assert graph.dependents(None) == []
    assert graph.neighbours("api") == {"db", "queue", "web"}
    assert graph.downstream("web") == {"api": 1, "db": 2, "queue": 2, "disk": 3}
    assert graph.related("api") == ("api", "db", "queue", "web", "disk")
    assert graph.types == {"web": "service", "api": "service", "db": "database"}


def test_a_dependency_named_twice_is_one_reverse_edge() -> None:
    graph = DependencyGraph({"a": ["b", "b"], "c": ["b"]})
    assert graph.dependents("b") == ["a", "c"]
    assert graph.all_dependents() == {"b": ["a", "c"]}


def test_the_mirror_in_the_store_reads_back_as_the_same_graph(store: Store) -> None:
    cache = CatalogCache()
    cache.components = {c.name: c for c in RECORDS}
    cache.groups = {"team-api": GroupInfo(name="team-api", members=("ann",))}
    mirror = CatalogMirror(cache)
    with store.session() as s:
        mirror.write(s)
    with store.session() as s:
        assert s.get(Component, "api").owner == "team-api"  # type: ignore[union-attr]
        assert s.get(Group, "team-api").details == {"members": ["ann"]}  # type: ignore[union-attr]
        stored = load_graph(s)
        catalog = load_catalog(s)
    built = DependencyGraph.of(RECORDS)
    assert stored.depends_on == built.depends_on
    assert stored.system == built.system and stored.types == built.types
    assert catalog.neighbours("db") == built.neighbours("db")
    assert cache.related("web") == built.related("web")
    assert ComponentIndex(RECORDS).dependents("db") == built.dependents("db")


def test_the_analyzer_walks_the_same_graph() -> None:
    built = DependencyGraph.of(RECORDS)
    depends_on = {name: list(deps) for name, deps in built.depends_on.items()}
    data = AnalysisInput(incident=None, page_at=None, events=[], depends_on=depends_on)  # type: ignore[arg-type]
    assert data.downstream("web") == built.downstream("web")
    assert data.dependents()["db"] == ["api", "batch"]
    assert data.dependents()["nothing"] == []
