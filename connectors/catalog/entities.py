"""Backstage entity dicts -> :class:`ComponentInfo` / :class:`GroupInfo`, and the lookups over them.

Parsing never raises for one bad entity: it is skipped and described in the returned problems,
so one typo in a catalog file does not hide every other component's owner.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from connectors.base import ComponentInfo, GroupInfo

COMPONENT_KINDS = ("component", "resource")

_RUNBOOK_KEYS = ("runbook.url", "runbook", "runbook-url", "runbook_url")


def parse_ref(ref: Any) -> tuple[str | None, str]:
    """Split ``kind:namespace/name`` (kind and namespace optional) into (kind, name); kind lowercased."""
    text = str(ref).strip()
    kind: str | None = None
    if ":" in text:
        head, text = text.split(":", 1)
        kind = head.strip().lower() or None
    if "/" in text:
        text = text.rsplit("/", 1)[1]
    return kind, text.strip()


def owner_name(ref: Any) -> str | None:
    """Group owners by bare name (``group:default/team-a`` -> ``team-a``), others as ``user:jane``."""
    if ref is None or str(ref).strip() == "":
        return None
    kind, name = parse_ref(ref)
    return name if kind in (None, "group") else f"{kind}:{name}"


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _links(metadata: Mapping[str, Any]) -> tuple[dict[str, str], ...]:
    links: list[dict[str, str]] = []
    for link in _list(metadata.get("links")):
        if isinstance(link, dict) and _text(link.get("url")):
            links.append({key: str(link.get(key) or "") for key in ("title", "url", "type")})
    return tuple(links)


def _runbook(annotations: Mapping[str, Any], links: Iterable[dict[str, str]]) -> str | None:
    for key, value in annotations.items():
        lowered = str(key).lower()
        last = lowered.rsplit("/", 1)[-1]
        if (lowered in _RUNBOOK_KEYS or last in _RUNBOOK_KEYS) and _text(value):
            return _text(value)
    for link in links:
        if "runbook" in link["title"].lower() or "runbook" in link["type"].lower():
            return link["url"]
    return None


def _component(doc: dict[str, Any], metadata: dict[str, Any], source: str) -> ComponentInfo:
    spec = _mapping(doc.get("spec"))
    annotations = {str(k): v for k, v in _mapping(metadata.get("annotations")).items()}
    links = _links(metadata)
    depends = [parse_ref(ref)[1] for ref in _list(spec.get("dependsOn")) if _text(ref)]
    return ComponentInfo(
        name=str(metadata["name"]),
        kind=str(doc.get("kind")),
        owner=owner_name(spec.get("owner")),
        system=parse_ref(spec["system"])[1] if _text(spec.get("system")) else None,
        lifecycle=_text(spec.get("lifecycle")),
        type=_text(spec.get("type")),
        description=_text(metadata.get("description")),
        pagerduty_service=_text(annotations.get("pagerduty.com/service-id")),
        runbook_url=_runbook(annotations, links),
        links=links,
        depends_on=tuple(dict.fromkeys(name for name in depends if name)),
        kubernetes_id=_text(annotations.get("backstage.io/kubernetes-id")),
        namespace=_text(annotations.get("backstage.io/kubernetes-namespace")),
        source=source,
    )


def parse_entities(
    docs: list[dict[str, Any]], *, source: str
) -> tuple[list[ComponentInfo], list[GroupInfo], list[str]]:
    """Components (kinds Component and Resource), groups with members, and human-readable problems."""
    components: dict[str, ComponentInfo] = {}
    groups: dict[str, dict[str, Any]] = {}
    memberships: list[tuple[str, str]] = []
    problems: list[str] = []
    for number, doc in enumerate(docs, start=1):
        where = f"{source}: entity #{number}"
        if not isinstance(doc, dict):
            problems.append(f"{where} is a {type(doc).__name__}, not a mapping")
            continue
        kind = str(doc.get("kind") or "").lower()
        metadata = _mapping(doc.get("metadata"))
        if not kind:
            problems.append(f"{where} has no kind")
            continue
        if not _text(metadata.get("name")):
            problems.append(f"{where} ({doc.get('kind')}) has no metadata.name")
            continue
        name = str(metadata["name"]).strip()
        metadata = {**metadata, "name": name}
        spec = _mapping(doc.get("spec"))
        try:
            if kind in COMPONENT_KINDS:
                if name in components:
                    problems.append(f"{where}: duplicate {doc.get('kind')} {name!r} ignored")
                    continue
                components[name] = _component(doc, metadata, source)
            elif kind == "group":
                groups.setdefault(name, {"doc": doc, "members": []})
                groups[name]["members"].extend(parse_ref(m)[1] for m in _list(spec.get("members")) if _text(m))
            elif kind == "user":
                memberships.extend((name, parse_ref(g)[1]) for g in _list(spec.get("memberOf")) if _text(g))
        except (TypeError, ValueError, AttributeError) as exc:
            problems.append(f"{where} ({doc.get('kind')} {name!r}) is malformed: {exc}")
    for user, group in memberships:
        if group in groups:
            groups[group]["members"].append(user)
    return list(components.values()), [_group(n, g["doc"], g["members"]) for n, g in groups.items()], problems


def _group(name: str, doc: dict[str, Any], members: list[str]) -> GroupInfo:
    spec = _mapping(doc.get("spec"))
    profile = _mapping(spec.get("profile"))
    details: dict[str, Any] = {}
    if _text(spec.get("type")):
        details["type"] = str(spec["type"])
    if _text(spec.get("parent")):
        details["parent"] = parse_ref(spec["parent"])[1]
    children = [parse_ref(c)[1] for c in _list(spec.get("children")) if _text(c)]
    if children:
        details["children"] = children
    if _text(_mapping(doc.get("metadata")).get("description")):
        details["description"] = str(doc["metadata"]["description"])
    return GroupInfo(
        name=name,
        display_name=_text(profile.get("displayName")),
        email=_text(profile.get("email")),
        members=tuple(dict.fromkeys(members)),
        details=details,
    )


def parse_systems(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """System name -> {"owner", "description"}; malformed entries are skipped."""
    systems: dict[str, dict[str, Any]] = {}
    for doc in docs:
        if not isinstance(doc, dict) or str(doc.get("kind") or "").lower() != "system":
            continue
        metadata = _mapping(doc.get("metadata"))
        name = _text(metadata.get("name"))
        if name:
            owner = owner_name(_mapping(doc.get("spec")).get("owner"))
            systems[name] = {"owner": owner, "description": _text(metadata.get("description"))}
    return systems


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
    """Components and groups by name, the dependency graph both ways, and alert-label resolution."""

    def __init__(self, components: Iterable[ComponentInfo], groups: Iterable[GroupInfo] = ()) -> None:
        self._components: dict[str, ComponentInfo] = {}
        for component in components:
            self._components.setdefault(component.name, component)
        self._groups = {group.name: group for group in groups}
        self._dependents: dict[str, list[str]] = {}
        for component in self._components.values():
            for dep in component.depends_on:
                self._dependents.setdefault(dep, []).append(component.name)
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
        component = self._components.get(name)
        return list(component.depends_on) if component else []

    def dependents(self, name: str) -> list[str]:
        """Components whose ``spec.dependsOn`` names ``name`` (reverse edges), sorted."""
        return sorted(self._dependents.get(name, []))

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
