"""One case's world: the topology plus pods, rollout history, fault episodes, events, logs and objects.

Metrics, Kubernetes objects and logs are all rendered from this state so they agree. Revisions and
episodes are the bundled generator's (:mod:`_gen.model`); pods carry their service spec.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from _gen.model import Episode, Revision
from _gen.world import make_uid, safe_suffix

from _synth.topology import Svc, Topology

WINDOW = timedelta(minutes=90)


@dataclass
class Pod:
    svc: Svc
    name: str
    created: datetime
    node: str | None
    revision: Revision | None = None
    ended: datetime | None = None
    status: str = "running"
    """running | crashloop | image_pull | unschedulable"""
    restarts: list[datetime] = field(default_factory=list)
    prior_restarts: int = 0
    last_term: dict[str, Any] | None = None
    down: list[tuple[datetime, datetime]] = field(default_factory=list)
    """Intervals not ready (no traffic)."""
    mem_profile: str = "flat"
    leak_from: datetime | None = None
    leak_period: timedelta = timedelta(minutes=60)
    weight: float = 1.0
    scrape_until: datetime | None = None
    not_ready_reason: str = ""

    @property
    def service(self) -> str:
        return self.svc.name

    @property
    def uid(self) -> str:
        return make_uid("pod", self.name)

    def has_container(self) -> bool:
        return self.status not in ("image_pull", "unschedulable")

    def alive(self, t: datetime) -> bool:
        return self.created <= t and (self.ended is None or t < self.ended) and self.has_container()

    def serving(self, t: datetime) -> bool:
        if not self.alive(t) or t < self.created + timedelta(seconds=20) or self.status == "crashloop":
            return False
        return not any(a <= t < b for a, b in self.down)

    def restart_count(self, t: datetime) -> int:
        return self.prior_restarts + sum(1 for r in self.restarts if r <= t)


class World:
    """A healthy system at ``page_at`` that faults and confounders then change."""

    def __init__(self, name: str, topo: Topology, page_at: datetime, step: int, rng: random.Random) -> None:
        self.name = name
        self.topo = topo
        self.ns = topo.namespace
        self.page_at = page_at
        self.start = page_at - WINDOW
        self.step = step
        self.rng = rng
        self.revisions: dict[str, list[Revision]] = {}
        self.pods: list[Pod] = []
        self.episodes: dict[str, list[Episode]] = {s: [] for s in topo.services}
        self.cpu_demand: dict[str, float] = {}
        self.desired: dict[str, int] = {}
        self.unschedulable_message = ""
        self.node_conditions: dict[str, dict[str, tuple[str, str, str, datetime]]] = {}
        self.node_taints: dict[str, list[dict[str, Any]]] = {}
        self.logs: dict[tuple[str, bool], list[tuple[datetime, str]]] = {}
        self.events: list[dict[str, Any]] = []
        self.objects: list[dict[str, Any]] = []
        self.configmaps: dict[str, dict[str, Any]] = {}
        """ConfigMap name -> spec (data, applied, edits) rendered by :mod:`_synth.kube`."""
        self.patches: list[Callable[[dict[str, Any]], None]] = []
        self.pg_stress: dict[str, float] = {}
        """Datastore -> time-free multiplier of active connections (postgres/mysql gauges)."""
        self.volumes: dict[str, tuple[int, Callable[[datetime], float]]] = {}
        """Datastore -> (capacity bytes, used bytes at t)."""
        for svc in topo.services.values():
            self._seed(svc)

    def ago(self, minutes: float) -> datetime:
        return self.page_at - timedelta(seconds=round(minutes * 60))

    def days_ago(self, days: float) -> datetime:
        base = self.page_at - timedelta(days=days)
        return base.replace(microsecond=0) - timedelta(seconds=self.rng.randrange(0, 3600))

    def svc(self, name: str) -> Svc:
        return self.topo.services[name]

    def _seed(self, svc: Svc) -> None:
        if svc.is_store:
            created = self.days_ago(20 + self.rng.random() * 60)
            self.pods.append(Pod(svc, f"{svc.name}-0", created, self.rng.choice(self.topo.nodes)))
            return
        ages = sorted((self.rng.uniform(1.5, 9), self.rng.uniform(10, 40)))
        major, minor, patch = (int(x) for x in svc.version.split("."))
        history: list[Revision] = []
        for back, age in enumerate(ages):
            version = svc.version if back == 0 else f"{major}.{max(0, minor - 1)}.{patch + 2}"
            cause = f"deploy {svc.name} {version} (pipeline #{1000 + (svc.revision - back) * 53 % 9000})"
            history.insert(0, Revision(svc.name, svc.revision - back, self.days_ago(age), version, cause))
        history[-1].replicas = svc.replicas
        self.revisions[svc.name] = history
        for i in range(svc.replicas):
            self.add_pod(history[-1], history[-1].created + timedelta(seconds=8 + 11 * i))

    def add_pod(self, rev: Revision, created: datetime, **kw: Any) -> Pod:
        name = f"{rev.name}-{safe_suffix(5, self.name, rev.name, created.isoformat(), len(self.pods))}"
        node = kw.pop("node", None) or self.rng.choice(self.topo.nodes)
        pod = Pod(self.svc(rev.service), name, created, node, rev, weight=self.rng.uniform(0.9, 1.1), **kw)
        self.pods.append(pod)
        return pod

    def current(self, service: str) -> Revision:
        return self.revisions[service][-1]

    def pods_of(self, service: str, *, alive_at: datetime | None = None) -> list[Pod]:
        at = alive_at or self.page_at
        return [p for p in self.pods if p.service == service and (p.ended is None or p.ended > at)]

    def episode(self, service: str, onset: datetime, **params: Any) -> Episode:
        ep = Episode(onset, **params)
        self.episodes[service].append(ep)
        return ep

    def propagate(
        self, dep: str, onset: datetime, *, lat_add: float, err: float, ramp: float = 60.0, end: datetime | None = None
    ) -> None:
        """Callers of ``dep`` (recursively) get its latency and errors, attenuated by the edge share."""
        for caller in self.topo.callers(dep):
            f = self.topo.share[(caller, dep)]
            e, la = err * f * 0.85, lat_add * f
            if la < 0.002 and e < 0.001:
                continue
            delay = timedelta(seconds=15 + self.rng.randrange(0, 20))
            self.episode(caller, onset + delay, ramp=ramp, lat_add=la, err=e, end=end)
            self.propagate(caller, onset + delay, lat_add=la, err=e, ramp=ramp, end=end)
