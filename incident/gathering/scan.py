"""The namespace-wide look: one list of every pod (with Services, Endpoints and workloads) feeds
the topology event and the off-path scan. The Kubernetes gathering runs it in a thread beside
the per-component part, so their waits on the API server overlap."""

from __future__ import annotations

from collections.abc import Sequence

from connectors.base import ClusterSource, PodInfo
from incident.errors import ConnectorError
from incident.gathering.drafts import Draft, GatherContext
from incident.gathering.offpath import off_path_drafts
from incident.gathering.topology import ClusterView, topology_draft

MAX_SCAN_PODS = 10_000
"""Pods one scan lists (a cluster-wide list when no namespace is known or configured)."""


def gathered_pods(pods: list[PodInfo], components: Sequence[str], keys: Sequence[str]) -> set[tuple[str, str]]:
    """(namespace, name) of the pods the ``kubernetes`` task gathers: any component label key
    names one of ``components`` (as ``ClusterSource.pods`` finds them)."""
    wanted = set(components)
    return {(p.namespace, p.name) for p in pods if any(p.labels.get(k) in wanted for k in keys)}


def cluster_view(source: ClusterSource, namespace: str | None) -> ClusterView:
    """Every pod, then Services, Endpoints and workloads; a listing the credentials may not allow
    (Endpoints, StatefulSets) leaves its part out instead of failing the scan."""
    pods = source.all_pods(namespace=namespace, limit=MAX_SCAN_PODS)
    view = ClusterView(pods=pods, partial=len(pods) >= MAX_SCAN_PODS)
    try:
        view.services = source.services(namespace=namespace)
        view.endpoints = source.endpoints(namespace=namespace)
        view.workloads = source.workloads(namespace=namespace)
    except ConnectorError as exc:
        view.errors.append(exc.message)
    return view


def gather_scan(source: ClusterSource, ctx: GatherContext) -> list[Draft]:
    components = ctx.related or ((ctx.component,) if ctx.component else ())
    view = cluster_view(source, ctx.namespace)
    inside = gathered_pods(view.pods, components, ctx.settings.kubernetes.component_label_keys)
    drafts = off_path_drafts((p for p in view.pods if (p.namespace, p.name) not in inside), ctx)
    drafts.append(topology_draft(view, ctx, components))
    return drafts
