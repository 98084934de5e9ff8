"""The catalog's dependency graph: one object that resolution, gathering, analysis, memory and the
agent all read (declared ``spec.dependsOn`` edges, their reverse, systems and types)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.base import ComponentInfo
from incident.models import Component


class DependencyGraph:
    """Components -> what they depend on (declared order), with the reverse edges, systems and types."""

    def __init__(
        self,
        depends_on: Mapping[str, Iterable[str]] | None = None,
        system: Mapping[str, str | None] | None = None,
        types: Mapping[str, str] | None = None,
    ) -> None:
        self.depends_on: dict[str, tuple[str, ...]] = {n: tuple(d) for n, d in (depends_on or {}).items()}
        self.system: dict[str, str | None] = dict(system or {})
        self.types: dict[str, str] = dict(types or {})
        """component -> catalog spec.type (service, database, cache, ...)"""
        self._dependents: dict[str, dict[str, None]] = {}
        for name, deps in self.depends_on.items():
            for dep in deps:
                self._dependents.setdefault(dep, {})[name] = None
        self._downstream: dict[str, dict[str, int]] = {}

    @classmethod
    def of(cls, components: Iterable[ComponentInfo]) -> DependencyGraph:
        """The graph of catalog records (the first record of a name wins)."""
        first: dict[str, ComponentInfo] = {}
        for c in components:
            first.setdefault(c.name, c)
        return cls(
            {n: c.depends_on for n, c in first.items()},
            {n: c.system for n, c in first.items()},
            {n: c.type for n, c in first.items() if c.type},
        )

    def __contains__(self, name: object) -> bool:
        return name in self.depends_on

    def dependencies(self, name: str | None) -> list[str]:
        """What ``name`` declares in ``spec.dependsOn``, in declared order."""
        return list(self.depends_on.get(name or "", ()))

    def dependents(self, name: str | None) -> list[str]:
        """Components whose ``spec.dependsOn`` names ``name`` (reverse edges), sorted."""
        return sorted(self._dependents.get(name or "", []))

    def all_dependents(self) -> dict[str, list[str]]:
        """Every reverse edge: dependency -> the components naming it, in declaration order."""
        return {dep: list(names) for dep, names in self._dependents.items()}

    def neighbours(self, name: str | None) -> set[str]:
        """What ``name`` depends on and what depends on it."""
        if not name:
            return set()
        return set(self.depends_on.get(name, ())) | set(self._dependents.get(name, ()))

    def related(self, component: str | None, *, limit: int = 24) -> tuple[str, ...]:
        """The component, what it depends on (breadth first, three levels) and its direct callers,
        nearest first: its dependencies and callers, then their dependencies, at most ``limit``."""
        if not component:
            return ()
        callers = [c for c in self.dependents(component) if c != component]
        out = {component: None}
        frontier = [component]
        for depth in range(3):
            nxt = []
            for name in frontier:
                for dep in self.depends_on.get(name, ()):
                    if dep not in out:
                        out[dep] = None
                        nxt.append(dep)
            if depth == 0:
                out.update((c, None) for c in callers if c not in out)
            frontier = nxt
        return tuple(out)[:limit]

    def downstream(self, component: str) -> dict[str, int]:
        """Everything ``component`` depends on, transitively, with its distance in hops (memoised:
        the graph does not change once built)."""
        if component not in self._downstream:
            self._downstream[component] = self._walk(component)
        return self._downstream[component]

    def _walk(self, component: str) -> dict[str, int]:
        hops: dict[str, int] = {}
        frontier = [component]
        depth = 0
        while frontier:
            depth += 1
            nxt = []
            for name in frontier:
                for dep in self.depends_on.get(name, ()):
                    if dep not in hops and dep != component:
                        hops[dep] = depth
                        nxt.append(dep)
            frontier = nxt
        return hops


def load_graph(session: Session) -> DependencyGraph:
    """The graph as mirrored in the store (:mod:`incident.catalog.mirror`)."""
    depends: dict[str, list[str]] = {}
    systems: dict[str, str | None] = {}
    types: dict[str, str] = {}
    for name, system, kind, deps in session.execute(
        select(Component.name, Component.system, Component.type, Component.depends_on)
    ):
        depends[name] = [str(d) for d in deps or []]
        systems[name] = system
        if kind:
            types[name] = kind
    return DependencyGraph(depends, systems, types)
