"""Backstage entity dicts -> :class:`ComponentInfo` / :class:`GroupInfo` (looking them up, and resolving
alert labels to components, is the core's: :mod:`incident.catalog`).

Parsing never raises for one bad entity: it is skipped and described in the returned problems,
so one typo in a catalog file does not hide every other component's owner.
"""

from __future__ import annotations

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
