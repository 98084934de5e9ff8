"""Which component an alert names: catalog lookups by name and kubernetes-id, alert-label resolution."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from connectors.base import ComponentInfo, GroupInfo
from incident.catalog.graph import DependencyGraph


def _label_key(key: str) -> str:
    """Prometheus label form of a key: ``app.kubernetes.io/name`` -> ``app_kubernetes_io_name``."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", key)


def label_values(labels: Mapping[str, str], label_keys: list[str]) -> list[str]:
    """Values of ``label_keys`` in ``labels``, in key order. A key matches its Prometheus-sanitised
    form too, either way round, so ``app.kubernetes.io/name`` finds ``app_kubernetes_io_name``."""
    sanitised: dict[str, str] = {}
    for key, value in labels.items():
        sanitised.setdefault(_label_key(str(key)), str(value))
    values = []
    for key in label_keys:
        found = labels.get(key)
        if found is None:
            found = sanitised.get(_label_key(key))
        if found:
            values.append(found)
    return values


class ComponentIndex:
    """Components and groups by name, the dependency graph, and alert-label resolution."""

    def __init__(self, components: Iterable[ComponentInfo], groups: Iterable[GroupInfo] = ()) -> None:
        self._components: dict[str, ComponentInfo] = {}
        for component in components:
            self._components.setdefault(component.name, component)
        self._groups = {group.name: group for group in groups}
        self.graph = DependencyGraph.of(self._components.values())
        self._by_kube_id = {c.kubernetes_id: c.name for c in self._components.values() if c.kubernetes_id}
        self._folded: dict[str, str] = {}
        for component in self._components.values():
            self._folded.setdefault(component.name.casefold(), component.name)
            if component.kubernetes_id:
                self._folded.setdefault(component.kubernetes_id.casefold(), component.name)

    def __len__(self) -> int:
        return len(self._components)

    def __contains__(self, name: object) -> bool:
        return name in self._components

    @property
    def components(self) -> list[ComponentInfo]:
        return list(self._components.values())

    @property
    def groups(self) -> list[GroupInfo]:
        return list(self._groups.values())

    def get(self, name: str) -> ComponentInfo | None:
        return self._components.get(name)

    def group(self, name: str) -> GroupInfo | None:
        return self._groups.get(name)

    def owner_of(self, name: str) -> str | None:
        component = self._components.get(name)
        return component.owner if component else None

    def dependencies(self, name: str) -> list[str]:
        """What ``name`` declares in ``spec.dependsOn``, in declared order."""
        return self.graph.dependencies(name)

    def dependents(self, name: str) -> list[str]:
        """Components whose ``spec.dependsOn`` names ``name`` (reverse edges), sorted."""
        return self.graph.dependents(name)

    def match(self, value: str) -> str | None:
        """Component named by ``value``: exact name, then kubernetes-id, then either case-insensitively."""
        value = value.strip()
        if value in self._components:
            return value
        if value in self._by_kube_id:
            return self._by_kube_id[value]
        return self._folded.get(value.casefold())

    def resolve(self, labels: Mapping[str, str], label_keys: list[str]) -> str | None:
        """The component an alert's labels name, trying ``label_keys`` in order (see
        :func:`label_values`); None when none does."""
        for value in label_values(labels, label_keys):
            found = self.match(value)
            if found:
                return found
        return None


def resolve_component(labels: dict[str, str], keys: list[str], index: ComponentIndex) -> tuple[str | None, bool]:
    """The component an alert's labels name, and whether the catalog knows it.

    Unknown to the catalog, the first label value among ``keys`` still names the component, so
    metrics and pods can be found by it.
    """
    found = index.resolve(labels, keys)
    if found:
        return found, True
    values = label_values(labels, keys)
    return (values[0], False) if values else (None, False)
