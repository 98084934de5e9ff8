"""Read side of the Kubernetes connector: pods, rollouts, events, nodes, logs, config writes."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from kubernetes import client as k8s

from connectors.base import (
    ChangeRecord,
    CheckResult,
    ContainerLog,
    DeploymentInfo,
    EndpointsInfo,
    KubeEvent,
    NodeInfo,
    PodInfo,
    ServiceInfo,
    WorkloadInfo,
)
from connectors.common.errors import ConnectorError
from connectors.kubernetes import mapping
from connectors.kubernetes.actions import KubernetesActions
from connectors.kubernetes.config import KubernetesConfig
from connectors.kubernetes.transport import NAME, Transport, build_api_client
from connectors.limits import Limits

# Phrases of the 400 answers that mean "there is no such log", not "the request is wrong".
_SET_SIZE = 50
"""Values per set-based label selector (the request line stays short)."""
_NO_LOG = ("previous terminated container", "waiting to start", "not found")


class KubernetesConnector(KubernetesActions):
    """:class:`connectors.base.ClusterSource` over the official ``kubernetes`` client."""

    name = NAME

    def __init__(self, cfg: KubernetesConfig) -> None:
        self.cfg = cfg
        self.api_client = build_api_client(cfg)
        self.http = Transport(self.api_client, cfg.timeout.total_seconds(), Limits.of(cfg))
        self.core = k8s.CoreV1Api(self.api_client)
        self.apps = k8s.AppsV1Api(self.api_client)
        self.keys = list(cfg.component_label_keys)

    def close(self) -> None:
        self.api_client.close()  # type: ignore[no-untyped-call]  # the vendor's ApiClient has no annotations

    # ------------------------------------------------------------------ helpers

    def _namespaces(self, namespace: str | None) -> list[str | None]:
        """Namespaces to search: the one asked for, else the configured ones, else all (None)."""
        if namespace:
            return [namespace]
        return list(self.cfg.namespaces) or [None]

    def _list(self, plural: str, namespace: str | None, **kwargs: Any) -> Iterator[dict[str, Any]]:
        api = self.apps if plural in ("deployment", "replica_set", "stateful_set") else self.core
        if namespace is None:
            fn = getattr(api, f"list_{plural}_for_all_namespaces")
            return self.http.items(f"list {plural}s in all namespaces", fn, **kwargs)
        fn = getattr(api, f"list_namespaced_{plural}")
        return self.http.items(f"list {plural}s in namespace {namespace}", fn, namespace, **kwargs)

    # ------------------------------------------------------------------ ClusterSource

    def check(self) -> CheckResult:
        try:
            version = self.http.json("GET /version", k8s.VersionApi(self.api_client).get_code)
        except ConnectorError as exc:
            return CheckResult(self.name, False, exc.message)
        return CheckResult(self.name, True, f"API server {self.http.host} version {version.get('gitVersion', '?')}")

    def pods(self, component: str, *, namespace: str | None = None) -> list[PodInfo]:
        seen: dict[tuple[str, str], PodInfo] = {}
        for ns in self._namespaces(namespace):
            for key in self.keys:
                selector = f"{key}={component}"
                for pod in self._list("pod", ns, label_selector=selector):
                    info = mapping.pod_info(pod, self.keys)
                    seen.setdefault((info.namespace, info.name), info)
        return sorted(seen.values(), key=lambda p: (p.namespace, p.name))

    def pods_of(self, components: Sequence[str], *, namespace: str | None = None) -> dict[str, list[PodInfo]]:
        """:meth:`pods` of several components with one ``key in (a, b, ...)`` list per label key."""
        out: dict[str, dict[tuple[str, str], PodInfo]] = {c: {} for c in components}
        names = sorted(set(components))
        for ns in self._namespaces(namespace):
            for key in self.keys:
                for start in range(0, len(names), _SET_SIZE):
                    selector = f"{key} in ({','.join(names[start : start + _SET_SIZE])})"
                    for pod in self._list("pod", ns, label_selector=selector):
                        info = mapping.pod_info(pod, self.keys)
                        if (component := info.labels.get(key)) in out:
                            out[component].setdefault((info.namespace, info.name), info)
        return {c: sorted(found.values(), key=lambda p: (p.namespace, p.name)) for c, found in out.items()}

    def deployments(self, component: str, *, namespace: str | None = None, until: datetime) -> list[DeploymentInfo]:
        return self.deployments_of([component], namespace=namespace, until=until)[component]

    def deployments_of(
        self, components: Sequence[str], *, namespace: str | None = None, until: datetime
    ) -> dict[str, list[DeploymentInfo]]:
        """:meth:`deployments` of several components from one Deployment list per namespace (a
        gathering asks for the paged component and its dependencies)."""
        matched: dict[str, list[dict[str, Any]]] = {c: [] for c in components}
        for ns in self._namespaces(namespace):
            for dep in self._list("deployment", ns):
                named = {ls[key] for ls in mapping.deployment_labels(dep) for key in self.keys if ls.get(key)}
                for component in named & matched.keys():
                    matched[component].append(dep)
        infos: dict[tuple[str, str], DeploymentInfo] = {}
        everything: dict[str, list[dict[str, Any]]] = {}
        for dep in (d for found in matched.values() for d in found):
            md = mapping.meta(dep)
            ns, name = md.get("namespace", ""), md.get("name", "")
            if (ns, name) in infos:
                continue
            selector = mapping.selector_string(dep)
            if selector is not None:  # the ReplicaSets a Deployment owns carry its selector's labels
                replicasets = list(self._list("replica_set", ns, label_selector=selector))
            else:
                if ns not in everything:
                    everything[ns] = list(self._list("replica_set", ns))
                replicasets = everything[ns]
            infos[(ns, name)] = mapping.deployment_info(dep, replicasets, self.keys, until)
        return {
            component: sorted(
                (infos[(mapping.meta(d).get("namespace", ""), mapping.meta(d).get("name", ""))] for d in found),
                key=lambda d: (d.namespace, d.name),
            )
            for component, found in matched.items()
        }

    def events(
        self, *, namespace: str | None, since: datetime, until: datetime, warning_only: bool = True
    ) -> list[KubeEvent]:
        selector = {"field_selector": "type=Warning"} if warning_only else {}
        out: list[KubeEvent] = []
        for ns in self._namespaces(namespace):
            for raw in self._list("event", ns, **selector):
                # an aggregated event spans first..last occurrence: keep it when that span overlaps the
                # window (one that began before the page and repeated at it is evidence of the page)
                last = mapping.event_time(raw)
                first = mapping.event_first_time(raw) or last
                if last is not None and first is not None and first <= until and last >= since:
                    out.append(mapping.kube_event(raw))
        return sorted(out, key=lambda e: (e.last_at or since, e.uid))

    def nodes(self) -> list[NodeInfo]:
        nodes = self.http.items("list nodes", self.core.list_node)
        return sorted((mapping.node_info(n) for n in nodes), key=lambda n: n.name)

    def logs(self, namespace: str, pod: str, container: str, *, previous: bool = False) -> ContainerLog:
        what = f"{'previous ' if previous else ''}log of {namespace}/{pod}/{container}"
        limit = self.cfg.log_limit_bytes
        try:
            data = self.http.raw(
                what,
                self.core.read_namespaced_pod_log,
                pod,
                namespace,
                container=container,
                previous=previous,
                tail_lines=self.cfg.log_tail_lines,
                limit_bytes=limit,
            )
        except ConnectorError as exc:
            if exc.http_status == 400 and any(p in exc.message for p in _NO_LOG):
                return ContainerLog(namespace, pod, container, previous, "")
            raise
        # The API does not say it cut the log; a log exactly at the limit almost surely was.
        return ContainerLog(
            namespace, pod, container, previous, data.decode("utf-8", "replace"), truncated=len(data) >= limit
        )

    def config_changes(self, *, namespace: str | None, since: datetime, until: datetime) -> list[ChangeRecord]:
        out: list[ChangeRecord] = []
        for ns in self._namespaces(namespace):
            for plural, kind in (("config_map", "ConfigMap"), ("secret", "Secret")):
                for obj in self._list(plural, ns):
                    when, manager, operation = mapping.last_write(obj)
                    if when is None or not since <= when <= until:
                        continue
                    md = mapping.meta(obj)
                    name, obj_ns = md.get("name", ""), md.get("namespace", "")
                    out.append(
                        ChangeRecord(
                            id=f"k8s:{kind}/{obj_ns}/{name}@{when.isoformat()}",
                            source="kubernetes",
                            kind="config_change",
                            at=when,
                            summary=f"{kind} {obj_ns}/{name} "
                            + ("created" if operation == "Create" else "updated")
                            + (f" by {manager}" if manager else ""),
                            component=mapping.component_of(mapping.labels(obj), self.keys),
                            details={
                                "object_kind": kind,
                                "name": name,
                                "namespace": obj_ns,
                                "manager": manager,
                                "operation": operation,
                            },
                        )
                    )
        return sorted(out, key=lambda c: (c.at, c.id))

    # ------------------------------------------------------------------ topology

    def all_pods(self, *, namespace: str | None = None, limit: int | None = None) -> list[PodInfo]:
        raw = (p for ns in self._namespaces(namespace) for p in self._list("pod", ns))
        pods = (mapping.pod_info(p, self.keys) for p in itertools.islice(raw, limit))
        return sorted({(p.namespace, p.name): p for p in pods}.values(), key=lambda p: (p.namespace, p.name))

    def services(self, *, namespace: str | None = None) -> list[ServiceInfo]:
        found = (mapping.service_info(s) for ns in self._namespaces(namespace) for s in self._list("service", ns))
        return sorted(found, key=lambda s: (s.namespace, s.name))

    def endpoints(self, *, namespace: str | None = None) -> list[EndpointsInfo]:
        found = (mapping.endpoints_info(e) for ns in self._namespaces(namespace) for e in self._list("endpoints", ns))
        return sorted(found, key=lambda e: (e.namespace, e.name))

    def workloads(self, *, namespace: str | None = None) -> list[WorkloadInfo]:
        out = [
            mapping.workload_info(obj, kind, self.keys)
            for ns in self._namespaces(namespace)
            for plural, kind in (("deployment", "Deployment"), ("stateful_set", "StatefulSet"))
            for obj in self._list(plural, ns)
        ]
        return sorted(out, key=lambda w: (w.namespace, w.kind, w.name))
