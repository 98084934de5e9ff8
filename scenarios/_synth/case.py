"""One synthesised case from (seed, index): topology, fault, confounders, page and truth.

Kinds cycle through a seeded order of the fifteen kinds, so every kind recurs every fifteen cases;
fifteen being odd, each kind lands on both even (tune) and odd (check) indices.
"""

from __future__ import annotations

import math
import random
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from _gen.world import pd_id

from _synth import alerts, confounders, faults_app, faults_infra, logs, topology
from _synth.fault import Fault, attenuation, first_pod
from _synth.model import World

KINDS = (
    "deploy_regression",
    "config_change",
    "crashloop",
    "oom",
    "image_pull",
    "unschedulable",
    "probe_failure",
    "resource_saturation",
    "dependency_failure",
    "network",
    "traffic_surge",
    "node_failure",
    "storage",
    "certificate",
    "code_error",
)
APPLY = {
    "deploy_regression": faults_app.deploy_regression,
    "config_change": faults_app.config_change,
    "crashloop": faults_app.crashloop,
    "oom": faults_app.oom,
    "image_pull": faults_app.image_pull,
    "unschedulable": faults_app.unschedulable,
    "probe_failure": faults_app.probe_failure,
    "resource_saturation": faults_app.resource_saturation,
    "traffic_surge": faults_app.traffic_surge,
    "code_error": faults_app.code_error,
    "dependency_failure": faults_infra.dependency_failure,
    "network": faults_infra.network,
    "node_failure": faults_infra.node_failure,
    "storage": faults_infra.storage,
    "certificate": faults_infra.certificate,
}
STRENGTH = {  # (error ratio, added median latency in seconds) ranges at the cause
    "deploy_regression": ((0.12, 0.45), (0.0, 0.1)),
    "config_change": ((0.12, 0.5), (0.0, 0.05)),
    "crashloop": ((0.4, 0.9), (0.02, 0.1)),
    "oom": ((0.06, 0.2), (0.2, 0.6)),
    "image_pull": ((0.02, 0.1), (0.4, 1.2)),
    "unschedulable": ((0.01, 0.08), (0.4, 1.2)),
    "probe_failure": ((0.2, 0.6), (0.05, 0.3)),
    "resource_saturation": ((0.01, 0.05), (0.5, 1.5)),
    "dependency_failure": ((0.25, 0.7), (0.2, 2.0)),
    "network": ((0.12, 0.4), (0.3, 1.5)),
    "traffic_surge": ((0.03, 0.15), (0.4, 1.2)),
    "node_failure": ((0.03, 0.15), (0.3, 1.0)),
    "storage": ((0.12, 0.4), (0.02, 0.1)),
    "certificate": ((0.2, 0.6), (0.0, 0.05)),
    "code_error": ((0.08, 0.35), (0.0, 0.0)),
}
NEEDS_REPLICAS = {"crashloop", "oom", "image_pull", "unschedulable", "node_failure", "probe_failure"}
ON_STORES = {"dependency_failure", "storage"}
EPOCH = datetime(2025, 6, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Planned:
    index: int
    name: str
    split: str
    kind: str


@dataclass
class Case:
    world: World
    fault: Fault
    source: str
    alert: str
    alerts: list[dict[str, Any]] = field(default_factory=list)
    pagerduty: dict[str, Any] | None = None
    confounders: list[str] = field(default_factory=list)
    description: str = ""


def plan(seed: int, count: int) -> list[Planned]:
    """Names, split (even index: tune, odd: check) and kind of every case, without building any."""
    order = list(KINDS)
    random.Random(f"kinds-{seed}").shuffle(order)
    return [
        Planned(i, f"syn-{seed}-{i:03d}", "tune" if i % 2 == 0 else "check", order[i % len(order)])
        for i in range(count)
    ]


def _rng(seed: int, index: int) -> random.Random:
    return random.Random(zlib.crc32(f"synth-{seed}-{index}".encode()))


def _cause(rng: random.Random, topo: topology.Topology, kind: str) -> str:
    if kind in ON_STORES:
        return rng.choice([s.name for s in topo.stores() if topo.callers(s.name)])
    apps = [s.name for s in topo.apps()]
    if kind == "network":
        apps = [s for s in apps if topo.services[s].deps] or apps
    if kind == "traffic_surge" and rng.random() < 0.4:
        return topo.entry
    return rng.choice(apps)


def _chain(rng: random.Random, w: World, cause: str, err: float, lat: float, kind: str) -> list[str]:
    """The paged path: up to three hops above the cause while the symptom still pages there."""
    lo = 1 if w.svc(cause).is_store else 0
    want = rng.choices((0, 1, 2, 3), weights=(35, 30, 20, 15))[0]
    for hops in range(max(want, lo), lo - 1, -1):
        chains = [c for c in w.topo.ancestors(cause, hops) if not w.svc(c[0]).is_store]
        rng.shuffle(chains)
        for chain in chains:
            att = attenuation(w, chain) * 0.85 ** (len(chain) - 1)
            if hops == lo or err * att >= 0.06 or lat * attenuation(w, chain) >= 0.4:
                return chain
    return [cause]


def _at_page(w: World, service: str) -> tuple[float, float]:
    """Error ratio and p99 latency of ``service`` at the page, from its episodes (as the metrics render them)."""
    svc = w.svc(service)
    err, mult, add, sigma = svc.err, 1.0, 0.0, svc.sigma
    for ep in w.episodes[service]:
        i = ep.intensity(w.page_at)
        err += ep.err * i
        mult *= 1 + (ep.lat - 1) * i
        add += ep.lat_add * i
        sigma += ep.sigma_add * i
    return min(err, 1.0), (svc.latency * mult + add) * math.exp(2.33 * sigma)


def build(seed: int, planned: Planned) -> Case:
    rng = _rng(seed, planned.index)
    topo = topology.generate(rng)
    kind = planned.kind
    cause = _cause(rng, topo, kind)
    if kind in NEEDS_REPLICAS:
        topo.services[cause].replicas = max(2, topo.services[cause].replicas)
    for svc in topo.apps():
        svc.pd_id = pd_id(planned.name, svc.name)
    page_at = (EPOCH + timedelta(minutes=rng.randrange(0, 365 * 24 * 60))).replace(second=0)
    step = 30 if len(topo.services) <= 20 else 60
    w = World(planned.name, topo, page_at, step, rng)
    (elo, ehi), (llo, lhi) = STRENGTH[kind]
    err, lat = rng.uniform(elo, ehi), rng.uniform(llo, lhi)
    chain = _chain(rng, w, cause, err, lat, kind)
    onset = page_at - timedelta(seconds=rng.randrange(120, 361)) - timedelta(seconds=25 * (len(chain) - 1))
    onset = max(onset, page_at - timedelta(minutes=8))
    fault = Fault(kind, cause, chain, onset, err, lat)
    if kind == "node_failure":
        _place_on_node(w, fault)
    APPLY[kind](w, fault)
    extra: list[dict[str, Any]] = []
    notes = confounders.add(w, fault, extra)
    _background(w)
    case = Case(w, fault, "alertmanager", "", confounders=notes)
    _page(w, case, extra, rng)
    return case


def _place_on_node(w: World, f: Fault) -> None:
    """Half of the cause's pods (at least one, not all) on one node; the rest elsewhere."""
    pods = w.pods_of(f.cause)
    node = w.rng.choice(w.topo.nodes)
    others = [n for n in w.topo.nodes if n != node]
    lost = max(1, len(pods) // 2)
    for i, pod in enumerate(pods):
        pod.node = node if i < lost else w.rng.choice(others)
    f.node = node


def _background(w: World) -> None:
    logged = {pod for pod, _ in w.logs}
    for svc in w.topo.services.values():
        pods = [p for p in w.pods_of(svc.name) if p.created <= w.page_at and p.has_container()]
        if pods and not any(p.name in logged for p in pods):
            logs.background(w, pods[0], count=4 if svc.is_store else 10)
    for pod in [p for p in w.pods if (p.name, False) in w.logs and p.svc.is_store is False]:
        if len(w.logs[(pod.name, False)]) < 6 and first_pod(w, pod.service) is pod:
            logs.background(w, pod, count=6)


def _page(w: World, case: Case, extra: list[dict[str, Any]], rng: random.Random) -> None:
    f = case.fault
    err, p99 = _at_page(w, f.paged)
    starts = w.page_at - timedelta(seconds=rng.randrange(0, 20))
    if err >= 0.05:
        name, value, threshold = "HighErrorRatio", err * 100, 1.0
        page = alerts.symptom_alert(w, f.paged, name, value, starts)
    else:
        name, value = "HighLatency", p99
        baseline = w.svc(f.paged).latency * math.exp(2.33 * w.svc(f.paged).sigma)
        threshold = 1.0 if p99 > 1.2 else round(max(baseline * 1.5, p99 * 0.75), 2)
        page = alerts.symptom_alert(w, f.paged, name, value, starts, threshold)
    case.alert = name
    case.alerts = [page, *extra]
    if rng.random() < 0.2:
        number = rng.randrange(1000, 9999)
        title = f"[FIRING:1] {name} {w.ns} ({f.paged})"
        inc_id, case.pagerduty = alerts.pagerduty(w, f.paged, title, number)
        case.source, case.alert = "pagerduty", inc_id
        case.alerts = extra
    case.description = (
        f"Synthesised case {w.name}: {len(w.topo.apps())} services and {len(w.topo.stores())} datastores in "
        f"namespace {w.ns}, {len(w.topo.nodes)} nodes; paged on {f.paged} ({name})."
    )
