"""The object store behind the Kubernetes stand-in: indexed objects, selectors, paged lists.

Objects are kept as the API serves them (plain JSON dicts), indexed kind -> namespace -> name, so
a namespaced list or a get never scans other namespaces or kinds. Errors are raised as
:class:`StatusError`, which the server turns into a ``kind: Status`` body.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from incident.timeutil import parse_time

Obj = dict[str, Any]


@dataclass(frozen=True)
class Resource:
    kind: str
    group_version: str
    """``v1`` for the core group, ``apps/v1`` ..."""
    namespaced: bool = True


RESOURCES: dict[str, Resource] = {
    "pods": Resource("Pod", "v1"),
    "events": Resource("Event", "v1"),
    "nodes": Resource("Node", "v1", namespaced=False),
    "namespaces": Resource("Namespace", "v1", namespaced=False),
    "configmaps": Resource("ConfigMap", "v1"),
    "secrets": Resource("Secret", "v1"),
    "services": Resource("Service", "v1"),
    "endpoints": Resource("Endpoints", "v1"),
    "persistentvolumeclaims": Resource("PersistentVolumeClaim", "v1"),
    "deployments": Resource("Deployment", "apps/v1"),
    "replicasets": Resource("ReplicaSet", "apps/v1"),
    "statefulsets": Resource("StatefulSet", "apps/v1"),
    "daemonsets": Resource("DaemonSet", "apps/v1"),
}
BY_KIND = {r.kind: r for r in RESOURCES.values()}


class StatusError(Exception):
    """An API error answer: HTTP code, machine reason (NotFound, BadRequest ...) and message."""

    def __init__(self, code: int, reason: str, message: str, details: Obj | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details or {}

    def body(self) -> Obj:
        out: Obj = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure"}
        out.update(message=self.message, reason=self.reason, code=self.code)
        if self.details:
            out["details"] = self.details
        return out


def not_found(resource: str, name: str, group: str = "") -> StatusError:
    plural = resource if not group else f"{resource}.{group}"
    details = {"name": name, "kind": resource} | ({"group": group} if group else {})
    return StatusError(404, "NotFound", f'{plural} "{name}" not found', details)


def stamped_after(obj: Obj, page_at: datetime) -> bool:
    """Created after the page (Events: last seen after it), so never served."""
    md = obj.get("metadata") or {}
    times = [md.get("creationTimestamp")]
    if obj.get("kind") == "Event":
        times = [obj.get("lastTimestamp") or obj.get("eventTime") or obj.get("firstTimestamp")] + times
    parsed = [t for t in map(parse_time, times) if t is not None]
    return bool(parsed) and parsed[0] > page_at


# ---------------------------------------------------------------------------------- selectors

_SET_TERM = re.compile(r"^\s*([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


def _split_terms(selector: str) -> list[str]:
    """Split on commas outside parentheses (``a in (x,y),b=z`` -> two terms)."""
    terms, depth, current = [], 0, ""
    for char in selector:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    terms.append(current)
    return [t.strip() for t in terms if t.strip()]


def label_matcher(selector: str | None) -> Any:
    """A predicate over a labels dict for ``=``, ``==``, ``!=``, ``in``, ``notin``, ``key``, ``!key``."""
    checks: list[Callable[..., bool]] = []
    for term in _split_terms(selector or ""):
        if m := _SET_TERM.match(term):
            key, op, values = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",") if v.strip()}
            if op == "in":
                checks.append(lambda ls, k=key, vs=values: ls.get(k) in vs)
            else:
                checks.append(lambda ls, k=key, vs=values: ls.get(k) not in vs)
        elif "!=" in term:
            key, value = (p.strip() for p in term.split("!=", 1))
            checks.append(lambda ls, k=key, v=value: ls.get(k) != v)
        elif "=" in term:
            key, value = (p.strip() for p in term.replace("==", "=").split("=", 1))
            checks.append(lambda ls, k=key, v=value: ls.get(k) == v)
        elif term.startswith("!"):
            checks.append(lambda ls, k=term[1:].strip(): k not in ls)
        elif re.fullmatch(r"[A-Za-z0-9._/-]+", term):
            checks.append(lambda ls, k=term: k in ls)
        else:
            raise StatusError(400, "BadRequest", f"unable to parse requirement: {term!r}")
    return lambda labels: all(check(labels) for check in checks)


def _field(obj: Obj, path: str) -> str:
    node: Any = obj
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, bool):
        return "true" if node else "false"
    return "" if node is None else str(node)


def field_matcher(selector: str | None) -> Any:
    """``path=value``, ``path==value`` and ``path!=value`` over dotted object paths."""
    checks = []
    for term in _split_terms(selector or ""):
        negate = "!=" in term
        path, sep, value = term.replace("!=", "=").replace("==", "=").partition("=")
        if not path or not sep:
            raise StatusError(400, "BadRequest", f"invalid field selector: {term!r}")
        checks.append((path.strip(), value.strip(), negate))
    return lambda obj: all((_field(obj, p) == v) != neg for p, v, neg in checks)


# ---------------------------------------------------------------------------------- store


class ObjectStore:
    """Objects by kind -> namespace -> name; a global resourceVersion counter. Not locked itself."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, dict[str, Obj]]] = {}
        self.version = 0

    def bump(self) -> str:
        self.version += 1
        return str(self.version)

    def put(self, obj: Obj) -> Obj:
        kind = obj["kind"]
        resource = BY_KIND.get(kind)
        md = obj.setdefault("metadata", {})
        if resource is not None:
            obj.setdefault("apiVersion", resource.group_version)
            if resource.namespaced:
                md.setdefault("namespace", "default")
            else:
                md.pop("namespace", None)
        ref = f"{kind}/{md.get('namespace', '')}/{md.get('name', '')}"
        md.setdefault("uid", str(uuid.uuid5(uuid.NAMESPACE_URL, "k8s-stand-in:" + ref)))
        md["resourceVersion"] = self.bump()
        self.objects.setdefault(kind, {}).setdefault(md.get("namespace", ""), {})[md.get("name", "")] = obj
        return obj

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        return self.objects.get(kind, {}).get(namespace, {}).get(name)

    def remove(self, kind: str, namespace: str, name: str) -> None:
        self.objects.get(kind, {}).get(namespace, {}).pop(name, None)
        self.bump()

    def iter(self, kind: str, namespace: str | None = None) -> Iterator[Obj]:
        by_ns = self.objects.get(kind, {})
        namespaces: Iterable[str] = [namespace] if namespace is not None else sorted(by_ns)
        for ns in namespaces:
            yield from by_ns.get(ns, {}).values()

    def namespaces(self) -> set[str]:
        return {ns for by_ns in self.objects.values() for ns, objs in by_ns.items() if ns and objs}


def _pod_ready(pod: Obj) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def derived_endpoints(service: Obj, pods: Iterable[Obj]) -> Obj:
    """The Endpoints the endpoints controller keeps for a Service with a selector: its matching
    pods' IPs (Ready ones as ``addresses``, others as ``notReadyAddresses``)."""
    md, spec = service.get("metadata") or {}, service.get("spec") or {}
    selector = spec.get("selector") or {}
    ready: list[Obj] = []
    not_ready: list[Obj] = []
    for pod in pods:
        pmd, pspec = pod.get("metadata") or {}, pod.get("spec") or {}
        pod_labels = pmd.get("labels") or {}
        ip = (pod.get("status") or {}).get("podIP")
        if not ip or any(pod_labels.get(k) != v for k, v in selector.items()):
            continue
        address: Obj = {
            "ip": ip,
            "targetRef": {
                "kind": "Pod",
                "namespace": pmd.get("namespace"),
                "name": pmd.get("name"),
                "uid": pmd.get("uid"),
            },
        }
        if pspec.get("nodeName"):
            address["nodeName"] = pspec["nodeName"]
        if pspec.get("hostname") and pspec.get("subdomain") == md.get("name"):
            address["hostname"] = pspec["hostname"]
        (ready if _pod_ready(pod) else not_ready).append(address)
    subset: Obj = {
        "ports": [
            {
                k: v
                for k, v in (
                    ("name", p.get("name")),
                    ("port", p.get("targetPort", p.get("port"))),
                    ("protocol", p.get("protocol", "TCP")),
                )
                if v is not None
            }
            for p in spec.get("ports") or []
        ]
    }
    if ready:
        subset["addresses"] = ready
    if not_ready:
        subset["notReadyAddresses"] = not_ready
    return {
        "kind": "Endpoints",
        "apiVersion": "v1",
        "metadata": {
            "name": md.get("name"),
            "namespace": md.get("namespace"),
            "uid": str(
                uuid.uuid5(uuid.NAMESPACE_URL, f"k8s-stand-in:Endpoints/{md.get('namespace')}/{md.get('name')}")
            ),
            "creationTimestamp": md.get("creationTimestamp"),
            "labels": dict(md.get("labels") or {}),
        },
        "subsets": [subset] if ready or not_ready else [],
    }


def endpoints(store: ObjectStore, namespace: str | None) -> list[Obj]:
    """Stored Endpoints, plus derived ones for every Service with a selector that has none stored."""
    out = list(store.iter("Endpoints", namespace))
    stored = {((o.get("metadata") or {}).get("namespace"), (o.get("metadata") or {}).get("name")) for o in out}
    for service in store.iter("Service", namespace):
        md = service.get("metadata") or {}
        ns = md.get("namespace", "")
        if (ns, md.get("name")) in stored or not (service.get("spec") or {}).get("selector"):
            continue
        out.append(derived_endpoints(service, store.iter("Pod", ns)))
    return out


def encode_continue(version: int, start: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"rv": version, "start": start}).encode()).decode()


def decode_continue(token: str) -> int:
    try:
        start = json.loads(base64.urlsafe_b64decode(token.encode()))["start"]
    except (ValueError, KeyError, TypeError) as exc:
        raise StatusError(400, "BadRequest", "continue key is not valid: " + str(exc)) from exc
    if not isinstance(start, int) or start < 0:
        raise StatusError(400, "BadRequest", "continue key is not valid")
    return start


def list_body(
    resource: Resource,
    objects: Iterable[Obj],
    version: int,
    *,
    label_selector: str | None,
    field_selector: str | None,
    limit: int | None,
    continue_token: str | None,
) -> Obj:
    """A ``<Kind>List`` of the matching objects, one page when ``limit`` is set. Its items share
    nested values with the store: encode it before the store can change."""
    labels_ok, fields_ok = label_matcher(label_selector), field_matcher(field_selector)
    matched = [o for o in objects if labels_ok((o.get("metadata") or {}).get("labels") or {}) and fields_ok(o)]
    start = decode_continue(continue_token) if continue_token else 0
    end = len(matched) if not limit or limit <= 0 else min(len(matched), start + limit)
    meta: Obj = {"resourceVersion": str(version)}
    if end < len(matched):
        meta["continue"] = encode_continue(version, end)
        meta["remainingItemCount"] = len(matched) - end
    # Shallow copies: the caller encodes the body before releasing the store's lock, so nested
    # values are never shared with a later write (a deep copy of 2,000 pods costs ~0.2 s).
    items = [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in matched[start:end]]
    return {
        "kind": f"{resource.kind}List",
        "apiVersion": resource.group_version,
        "metadata": meta,
        "items": items,
    }


# ---------------------------------------------------------------------------------- discovery

VERSION = {
    "major": "1",
    "minor": "30",
    "gitVersion": "v1.30.0-incident-sandbox",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2024-04-17T00:00:00Z",
    "goVersion": "go1.22.2",
    "compiler": "gc",
    "platform": "linux/amd64",
}
CIDRS = {"serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}]}
API_GROUPS = {
    "kind": "APIGroupList",
    "apiVersion": "v1",
    "groups": [
        {
            "name": "apps",
            "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
            "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"},
        }
    ],
}


def resource_list(prefix: str) -> Obj:
    """Discovery document of ``/api/v1`` or ``/apis/apps/v1``."""
    gv = "v1" if prefix == "/api/v1" else prefix[len("/apis/") :]
    resources = [
        {
            "name": plural,
            "singularName": "",
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": ["get", "list"],
        }
        for plural, r in RESOURCES.items()
        if r.group_version == gv
    ]
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}
