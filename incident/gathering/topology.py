"""The topology event: which component an address names, which components a caller's env
names, and which components run on each node.

The analyzer needs it to attribute an error a caller logs ("connection refused to
10.244.5.68:5432", "orders-db.shop.svc: no such host") to the component it names, and to weigh
findings by how they connect to the paged component. Env values can hold credentials: only the
component names they resolve to are kept, never a value or a host.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from connectors.base import EndpointsInfo, PodInfo, ServiceInfo, WorkloadInfo
from incident.gathering.drafts import Draft, GatherContext
from incident.gathering.hosts import ADDRESS_NAME, hosts_in
from incident.models import EventKind

CLUSTER_DOMAIN = "cluster.local"
MAX_ADDRESSES = 5000
"""A world of 2,000 pods has about 2,500 (pod IPs and workload names); Services add 5 each."""
MAX_NODES = 500
MAX_PER_NODE = 300
MAX_ENV_REFS = 20
"""Components one caller's env may name."""

# Address kinds, in the order they are kept when the cap bites (related components first).
SERVICE, CLUSTER_IP, WORKLOAD, POD_DNS, ENDPOINT_IP, POD_IP = range(6)


@dataclass
class ClusterView:
    """What one gathering listed: every pod, Service, Endpoints and workload of its namespaces."""

    pods: list[PodInfo]
    services: list[ServiceInfo] = field(default_factory=list)
    endpoints: list[EndpointsInfo] = field(default_factory=list)
    workloads: list[WorkloadInfo] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Listings that failed (no permission for Endpoints, ...): the event says what is missing."""
    partial: bool = False
    """``pods`` stops at the scan's cap: addresses and nodes cover the pods listed only."""


def dns_forms(name: str, namespace: str) -> list[str]:
    """How a pod in the cluster can spell a Service (or ``pod.service``) of ``namespace``."""
    return [name, f"{name}.{namespace}", f"{name}.{namespace}.svc", f"{name}.{namespace}.svc.{CLUSTER_DOMAIN}"]


def _component_of(labels: dict[str, str], keys: Sequence[str]) -> str | None:
    return next((labels[k] for k in keys if labels.get(k)), None)


def service_components(view: ClusterView, keys: Sequence[str]) -> dict[tuple[str, str], str]:
    """(namespace, Service) -> component: the component of the pods its selector matches, else the
    component its selector or its own labels name."""
    index: dict[tuple[str, str, str], list[PodInfo]] = defaultdict(list)
    for pod in view.pods:
        for key, value in pod.labels.items():
            index[(pod.namespace, key, value)].append(pod)
    out: dict[tuple[str, str], str] = {}
    for svc in view.services:
        found: Counter[str] = Counter()
        if svc.selector:
            key, value = next(iter(svc.selector.items()))
            for pod in index.get((svc.namespace, key, value), ()):
                if pod.component and all(pod.labels.get(k) == v for k, v in svc.selector.items()):
                    found[pod.component] += 1
        component = (
            found.most_common(1)[0][0]
            if found
            else _component_of(svc.selector, keys) or _component_of(svc.labels, keys)
        )
        if component:
            out[(svc.namespace, svc.name)] = component
    return out


def _candidates(view: ClusterView, keys: Sequence[str]) -> Iterable[tuple[int, str, str, str]]:
    """(address kind, address, component, namespace) for everything that can name a component."""
    by_service = service_components(view, keys)
    pods = {(p.namespace, p.name): p for p in view.pods}
    for svc in view.services:
        comp = by_service.get((svc.namespace, svc.name))
        if comp:
            for form in dns_forms(svc.name, svc.namespace):
                yield SERVICE, form, comp, svc.namespace
            for ip in svc.cluster_ips:
                yield CLUSTER_IP, ip, comp, svc.namespace
    governing: dict[tuple[str, str], str] = {}
    for wl in view.workloads:
        if wl.component:
            yield WORKLOAD, wl.name, wl.component, wl.namespace
        if wl.kind == "StatefulSet" and wl.service_name:
            governing[(wl.namespace, wl.name)] = wl.service_name
    for pod in view.pods:
        if not pod.component:
            continue
        if pod.ip and pod.phase not in ("Succeeded", "Failed"):  # a finished pod's IP is free for reuse
            yield POD_IP, pod.ip, pod.component, pod.namespace
        subdomains = {pod.subdomain} if pod.hostname and pod.subdomain else set()
        kind, _, owner = (pod.owner or "").partition("/")
        if kind == "StatefulSet" and (svc_name := governing.get((pod.namespace, owner))):
            subdomains.add(svc_name)
        for sub in sorted(s for s in subdomains if s):
            host = pod.hostname if pod.subdomain == sub and pod.hostname else pod.name
            for form in dns_forms(f"{host}.{sub}", pod.namespace):
                yield POD_DNS, form, pod.component, pod.namespace
    for ep in view.endpoints:
        svc_comp = by_service.get((ep.namespace, ep.name))
        for addr in ep.addresses:
            behind = pods.get((ep.namespace, addr.pod)) if addr.pod else None
            comp = (behind.component if behind else None) or svc_comp
            if not comp:
                continue
            yield ENDPOINT_IP, addr.ip, comp, ep.namespace
            if addr.hostname:
                for form in dns_forms(f"{addr.hostname}.{ep.name}", ep.namespace):
                    yield POD_DNS, form, comp, ep.namespace


@dataclass
class AddressBook:
    resolved: dict[str, tuple[int, str]]
    """address -> (kind, component), every unambiguous address."""
    ambiguous: int

    def resolve(self, host: str, namespace: str) -> str | None:
        """The component a host names, seen from a pod of ``namespace`` (relative names too)."""
        for name in (host, f"{host}.{namespace}"):
            if name in self.resolved:
                return self.resolved[name][1]
        return None


def address_book(view: ClusterView, keys: Sequence[str], namespace: str | None) -> AddressBook:
    """Every address -> component; an address two components claim resolves to the one in the
    incident's namespace, else to none (a guess would misattribute errors)."""
    seen: dict[str, dict[str, tuple[int, str]]] = defaultdict(dict)  # address -> component -> (kind, ns)
    for kind, address, comp, ns in _candidates(view, keys):
        address = address.lower()
        prior = seen[address].get(comp)
        if prior is None or kind < prior[0]:
            seen[address][comp] = (kind, ns)
    resolved: dict[str, tuple[int, str]] = {}
    ambiguous = 0
    for address, claims in seen.items():
        if len(claims) > 1 and namespace:
            claims = {c: v for c, v in claims.items() if v[1] == namespace} or claims
        if len(claims) != 1:
            ambiguous += 1
            continue
        ((comp, (kind, _)),) = claims.items()
        resolved[address] = (kind, comp)
    return AddressBook(resolved, ambiguous)


def env_refs(workloads: Iterable[WorkloadInfo], callers: set[str], book: AddressBook) -> dict[str, list[str]]:
    """Components each caller's current pod template env names (hosts that resolve, only)."""
    refs: dict[str, dict[str, None]] = defaultdict(dict)
    for wl in workloads:
        caller = wl.component
        if not caller or caller not in callers:
            continue
        for var, value in wl.env_values.items():
            bare = bool(ADDRESS_NAME.search(var.rsplit("/", 1)[-1]))
            for host in hosts_in(value, bare_names=bare):
                comp = book.resolve(host, wl.namespace)
                if comp and comp != caller and len(refs[caller]) < MAX_ENV_REFS:
                    refs[caller][comp] = None
    return {caller: list(found) for caller, found in sorted(refs.items()) if found}


def node_components(pods: Iterable[PodInfo]) -> dict[str, list[str]]:
    by_node: dict[str, set[str]] = defaultdict(set)
    for pod in pods:
        if pod.node and pod.component:
            by_node[pod.node].add(pod.component)
    return {node: sorted(comps)[:MAX_PER_NODE] for node, comps in sorted(by_node.items())[:MAX_NODES]}


def topology_draft(view: ClusterView, ctx: GatherContext, related: Sequence[str]) -> Draft:
    keys = ctx.settings.kubernetes.component_label_keys
    book = address_book(view, keys, ctx.namespace)
    near = set(related)
    ordered = sorted(book.resolved.items(), key=lambda item: (item[1][1] not in near, item[1][0], item[0]))
    addresses = {address: comp for address, (_, comp) in ordered[:MAX_ADDRESSES]}
    refs = env_refs(view.workloads, near, book)
    nodes = node_components(view.pods)
    details: dict[str, object] = {"addresses": addresses, "env_refs": refs, "nodes": nodes}
    dropped = {"over_cap": max(0, len(ordered) - MAX_ADDRESSES), "ambiguous": book.ambiguous}
    if any(dropped.values()):
        details["dropped_addresses"] = dropped
    if view.errors:
        details["errors"] = list(view.errors)
    if view.partial:
        details["partial"] = f"the first {len(view.pods)} pods only"
    scope = ctx.namespace or "all"
    summary = (
        f"topology of {scope}: {len(addresses)} addresses of {len(set(addresses.values()))} components, "
        f"env references of {len(refs)} callers, pods on {len(nodes)} nodes"
        + (f" (not listed: {'; '.join(view.errors)})" if view.errors else "")
        + (f" (the first {len(view.pods)} pods only)" if view.partial else "")
    )
    return Draft(
        kind=EventKind.topology,
        key=f"topology/{scope}",
        at=ctx.window_end,
        source="kubernetes",
        summary=summary,
        details=details,
    )
