"""The state of the shop around one page: revisions, pods, fault episodes.

A :class:`World` starts healthy (every service with its rollout history and running pods);
a scenario then changes it (rollouts, crashing pods, episodes of degraded metrics). Metrics,
Kubernetes objects and logs are all rendered from this one state so they agree.
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from _gen.world import BY_NAME, NODES, SERVICES, Service, make_uid, safe_suffix

WINDOW = timedelta(minutes=90)

EDGE_SHARE: dict[tuple[str, str], float] = {
    ("frontend", "checkout"): 0.07,
    ("frontend", "cart"): 0.25,
    ("frontend", "catalog"): 0.8,
    ("frontend", "search"): 0.2,
    ("frontend", "recommendations"): 0.4,
    ("frontend", "shipping"): 0.1,
    ("search", "catalog"): 0.7,
    ("recommendations", "catalog"): 0.8,
    ("catalog", "shop-db"): 0.4,
    ("inventory", "shop-db"): 0.9,
    ("shipping", "shipping-db"): 0.9,
    ("cart", "cart-redis"): 1.0,
}
"""Share of the caller's requests that call the dependency (default 0.9)."""


def share(caller: str, dep: str) -> float:
    return EDGE_SHARE.get((caller, dep), 0.9)


@dataclass
class Revision:
    service: str
    revision: int
    created: datetime
    version: str
    change_cause: str
    replicas: int = 0
    env: dict[str, str] = field(default_factory=dict)
    restarted_at: datetime | None = None

    @property
    def hash(self) -> str:
        return safe_suffix(10, self.service, self.revision, self.version)

    @property
    def name(self) -> str:
        return f"{self.service}-{self.hash}"

    @property
    def uid(self) -> str:
        return make_uid("rs", self.name)


@dataclass
class Pod:
    service: str
    name: str
    created: datetime
    node: str | None
    revision: Revision | None = None
    """None for StatefulSet pods."""
    ended: datetime | None = None
    """Deleted at this time (before the page): metrics stop, no Pod object is served."""
    status: str = "running"
    """running | crashloop | image_pull | unschedulable"""
    restarts: list[datetime] = field(default_factory=list)
    """Container restarts inside the window."""
    prior_restarts: int = 0
    last_term: dict | None = None
    """reason, exit_code, started, finished of the previous container instance."""
    down: list[tuple[datetime, datetime]] = field(default_factory=list)
    """Intervals without traffic (not ready)."""
    mem_profile: str = "flat"
    """flat | leak (climbs to the limit, drops at each restart)"""
    weight: float = 1.0
    leak_from: datetime | None = None
    """Start of the memory climb of the first container instance (leak profile)."""
    leak_period: timedelta = timedelta(minutes=100)
    """Time a leaking container takes from its baseline to the memory limit."""
    scrape_until: datetime | None = None
    """cAdvisor and HTTP series end here (its node stopped answering scrapes); the Pod object stays."""

    @property
    def svc(self) -> Service:
        return BY_NAME[self.service]

    @property
    def uid(self) -> str:
        return make_uid("pod", self.name)

    def has_container(self) -> bool:
        return self.status not in ("image_pull", "unschedulable")

    def alive(self, t: datetime) -> bool:
        return self.created <= t and (self.ended is None or t < self.ended) and self.has_container()

    def serving(self, t: datetime) -> bool:
        if not self.alive(t) or t < self.created + timedelta(seconds=20):
            return False
        return not any(a <= t < b for a, b in self.down)

    def restart_count(self, t: datetime) -> int:
        return self.prior_restarts + sum(1 for r in self.restarts if r <= t)


@dataclass
class Volume:
    """A PersistentVolumeClaim whose kubelet_volume_stats_* series are rendered."""

    claim: str
    service: str
    capacity: int
    used: Callable[[datetime], float]
    """Bytes used at a time (the filesystem keeps 5% reserved for root on top)."""


@dataclass
class Episode:
    onset: datetime
    ramp: float = 60.0
    end: datetime | None = None
    rps: float = 1.0
    lat: float = 1.0
    lat_add: float = 0.0
    sigma_add: float = 0.0
    err: float = 0.0
    cpu: float = 1.0

    def intensity(self, t: datetime) -> float:
        if t < self.onset:
            return 0.0
        level = min(1.0, (t - self.onset).total_seconds() / max(self.ramp, 1.0))
        if self.end is not None and t > self.end:
            level *= math.exp(-(t - self.end).total_seconds() / 45.0)
        return level


class World:
    """Healthy shop at ``page_at``; scenarios mutate it."""

    def __init__(self, name: str, page_at: datetime, step: int = 30) -> None:
        self.name = name
        self.page_at = page_at
        self.start = page_at - WINDOW
        self.step = step
        self.rng = random.Random(zlib.crc32(name.encode()))
        self.revisions: dict[str, list[Revision]] = {}
        self.pods: list[Pod] = []
        self.episodes: dict[str, list[Episode]] = {s.name: [] for s in SERVICES}
        self.error_codes: dict[str, dict[str, float]] = {s.name: {"500": 1.0} for s in SERVICES}
        self.error_codes["frontend"] = {"500": 0.4, "502": 0.6}
        self.cpu_demand: dict[str, float] = {}
        """Per-service override of CPU cores per pod at normal load (demand, before the limit)."""
        self.desired: dict[str, int] = {}
        """Deployment spec.replicas when it differs from the service default (HPA, scaling)."""
        self.unschedulable_message = ""
        self.node_overrides: dict[str, dict] = {}
        """Node name -> condition type -> (status, reason, message, since) replacing the healthy default."""
        self.logs: dict[tuple[str, bool], list[tuple[datetime, str]]] = {}
        """(pod, previous) -> (time, line)"""
        self.events: list[dict] = []
        self.objects: list[dict] = []
        """Extra Kubernetes objects (ConfigMaps, HPAs, ...) beyond the generated ones."""
        self.patches: list[Callable[[dict[str, Any]], None]] = []
        """Applied to every rendered Kubernetes object (scenario-specific fields the renderers lack)."""
        self.volumes: list[Volume] = []
        for svc in SERVICES:
            self._seed_service(svc)

    # ------------------------------------------------------------------ building blocks
    def days_ago(self, days: float, minutes: int = 0) -> datetime:
        base = self.page_at - timedelta(days=days, minutes=minutes)
        return base.replace(microsecond=0) - timedelta(seconds=self.rng.randrange(0, 3600))

    def _seed_service(self, svc: Service) -> None:
        if svc.kind == "Resource":
            created = self.days_ago(40 + self.rng.random() * 20)
            self.pods.append(Pod(svc.name, f"{svc.name}-0", created, self.rng.choice(NODES)))
            return
        history: list[Revision] = []
        ages = sorted((self.rng.uniform(2, 9), self.rng.uniform(10, 25), self.rng.uniform(26, 60)))
        major, minor, patch = (int(x) for x in svc.version.split("."))
        for back, age in enumerate(ages):
            rev = svc.revision - back
            version = svc.version if back == 0 else f"{major}.{minor}.{max(0, patch - back)}"
            if back and patch - back < 0:
                version = f"{major}.{max(0, minor - back)}.{patch + 3}"
            cause = f"deploy {svc.name} {version} (pipeline #{4100 + rev * 37 % 900})"
            history.insert(0, Revision(svc.name, rev, self.days_ago(age), version, cause))
        history[-1].replicas = svc.replicas
        history[-1].env = dict(svc.env)
        self.revisions[svc.name] = history
        for i in range(svc.replicas):
            self.add_pod(history[-1], history[-1].created + timedelta(seconds=8 + 11 * i))

    def add_pod(self, rev: Revision, created: datetime, **kw: object) -> Pod:
        name = f"{rev.name}-{safe_suffix(5, rev.name, created.isoformat(), len(self.pods))}"
        node = kw.pop("node", None) or self.rng.choice(NODES)
        pod = Pod(rev.service, name, created, node, rev, weight=self.rng.uniform(0.9, 1.1), **kw)  # type: ignore[arg-type]
        self.pods.append(pod)
        return pod

    def current(self, service: str) -> Revision:
        return self.revisions[service][-1]

    def pods_of(self, service: str, *, alive_at: datetime | None = None) -> list[Pod]:
        at = alive_at or self.page_at
        return [p for p in self.pods if p.service == service and (p.ended is None or p.ended > at)]

    def rollout(
        self,
        service: str,
        at: datetime,
        version: str,
        cause: str,
        *,
        env: dict[str, str] | None = None,
        status: str = "running",
        keep_old: int = 0,
        new_pods: int | None = None,
    ) -> Revision:
        """Roll ``service`` to a new revision at ``at``: new pods start, old ones end (but ``keep_old``)."""
        old = self.current(service)
        rev = Revision(service, old.revision + 1, at, version, cause, env=dict(env if env is not None else old.env))
        count = new_pods if new_pods is not None else BY_NAME[service].replicas
        rev.replicas = count
        old.replicas = keep_old
        self.revisions[service].append(rev)
        old_pods = [p for p in self.pods_of(service, alive_at=at) if p.revision is old]
        for i in range(count):
            self.add_pod(rev, at + timedelta(seconds=2 + 25 * i), status=status)
        for i, pod in enumerate(old_pods[keep_old:]):
            pod.ended = at + timedelta(seconds=30 + 25 * i)
        return rev

    def episode(self, service: str, onset: datetime, **params: float | datetime | None) -> Episode:
        ep = Episode(onset, **params)  # type: ignore[arg-type]
        self.episodes[service].append(ep)
        return ep

    def propagate(
        self,
        dep: str,
        onset: datetime,
        *,
        lat_add: float = 0.0,
        err: float = 0.0,
        ramp: float = 60.0,
        err_factor: dict[str, float] | None = None,
        end: datetime | None = None,
    ) -> None:
        """Give callers of ``dep`` (recursively) a smaller share of its latency and errors."""
        for caller in (s.name for s in SERVICES if dep in s.deps):
            f = share(caller, dep)
            e = err * f * (err_factor or {}).get(caller, 0.85)
            la = lat_add * f
            if la < 0.001 and e < 0.0005:
                continue
            delay = timedelta(seconds=15 + self.rng.randrange(0, 20))
            self.episode(caller, onset + delay, ramp=ramp, lat_add=la, err=e, end=end)
            self.propagate(caller, onset + delay, lat_add=la, err=e, ramp=ramp, err_factor=err_factor, end=end)
