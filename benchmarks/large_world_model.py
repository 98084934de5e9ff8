"""The large benchmark world's shape: 320 services in 20 domains, their faults and rollouts.

Everything derives from the service index through seeded RNGs and hashes, so the generator
writes the same bytes on every run.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

PAGE_AT = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
# fmt: off
DOMAINS = ("checkout", "cart", "payments", "search", "catalog", "inventory", "shipping", "orders", "users", "auth",
           "billing", "ledger", "pricing", "promo", "reviews", "media", "notify", "fraud", "risk", "ads")
ROLES = ("api", "worker", "gateway", "sync", "indexer", "scheduler", "cache", "db-proxy", "exporter", "router", "store",
         "ingest", "events", "reports", "admin", "batch")
# fmt: on
FAULTS = ("error_spike", "latency", "crashloop", "oom", "cpu", "bad_deploy")
PAGES = 24
NAMESPACE = "prod"
REGISTRY = "registry.example.com"
NODES = tuple(f"ip-10-0-{a}-{b}.ec2.internal" for a in range(1, 4) for b in (11, 23, 37, 52, 68, 74, 89, 95))
PRESSURED_NODE = NODES[5]
_SAFE = "bcdfghjklmnpqrstvwxz2456789"
Obj = dict[str, Any]


def digest(*parts: object) -> bytes:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()


def suffix(n: int, *parts: object) -> str:
    return "".join(_SAFE[b % len(_SAFE)] for b in digest(*parts)[:n])


def uid(*parts: object) -> str:
    return str(uuid.UUID(bytes=digest("uid", *parts)[:16], version=4))


def ts(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Service:
    index: int
    name: str
    domain: str
    replicas: int
    revisions: int
    rollout: datetime
    """Creation time of the current ReplicaSet."""
    fault: str | None
    onset: datetime | None
    rps: float
    latency: float
    cpu: float
    mem: float
    deps: tuple[str, ...]

    @property
    def revision(self) -> int:
        return 5 + self.index % 40

    def rs_name(self, revision: int) -> str:
        return f"{self.name}-{suffix(10, self.name, revision)}"

    def image(self, revision: int) -> str:
        return f"{REGISTRY}/{self.domain}/{self.name}:1.{revision}.{self.index % 7}"

    def created(self, revision: int) -> datetime:
        back = self.revision - revision
        return self.rollout - timedelta(days=3 * back, hours=self.index % 5 * back)

    def pod_names(self, revision: int) -> list[str]:
        return [f"{self.rs_name(revision)}-{suffix(5, self.name, revision, j)}" for j in range(self.replicas)]

    def pod_series(self, since: datetime) -> Iterator[tuple[str, random.Random, datetime, datetime | None]]:
        """(pod, rng, alive from, alive until) of every pod with metrics after ``since``: the current
        ones, and the previous revision's when the rollout happened after ``since``."""
        for pod in self.pod_names(self.revision):
            yield pod, random.Random(pod), self.rollout, None
        if self.rollout > since:
            for pod in self.pod_names(self.revision - 1):
                yield pod, random.Random(pod), since, self.rollout + timedelta(minutes=1)

    def pod_labels(self, pod: str) -> str:
        return f'namespace="{NAMESPACE}",service="{self.name}",pod="{pod}"'

    def labels(self) -> dict[str, str]:
        return {"app.kubernetes.io/name": self.name, "app.kubernetes.io/part-of": self.domain}


def services() -> list[Service]:
    out: list[Service] = []
    paged = {7 + 13 * k: FAULTS[k % len(FAULTS)] for k in range(PAGES)}
    for i in range(len(DOMAINS) * len(ROLES)):
        domain, role = DOMAINS[i // len(ROLES)], ROLES[i % len(ROLES)]
        rng = random.Random(f"svc-{i}")
        fault = paged.get(i)
        onset = PAGE_AT - timedelta(minutes=8 + (i % 10)) if fault else None
        recent = fault == "bad_deploy" or i % 11 == 0
        rollout = (
            (onset - timedelta(minutes=2))
            if fault == "bad_deploy" and onset
            else (PAGE_AT - timedelta(minutes=20 + 7 * (i % 23)) if recent else PAGE_AT - timedelta(days=2 + i % 9))
        )
        out.append(
            Service(
                index=i,
                name=f"{domain}-{role}",
                domain=domain,
                replicas=4 + i % 7,
                revisions=2 + i % 2,
                rollout=rollout,
                fault=fault,
                onset=onset,
                rps=rng.uniform(5, 400),
                latency=rng.uniform(0.01, 0.12),
                cpu=rng.uniform(0.05, 0.6),
                mem=rng.uniform(120, 900) * 2**20,
                deps=_deps(i, rng),
            )
        )
    return out


def _deps(i: int, rng: random.Random) -> tuple[str, ...]:
    """One to three dependencies, in the service's own domain or the next two."""
    own = f"{DOMAINS[i // len(ROLES)]}-{ROLES[i % len(ROLES)]}"
    picks = {
        f"{DOMAINS[(i // len(ROLES) + rng.randrange(3)) % len(DOMAINS)]}-{ROLES[rng.randrange(len(ROLES))]}"
        for _ in range(1 + i % 3)
    }
    return tuple(sorted(picks - {own}))
