"""A random system: a call DAG of services under one entry point, datastores, teams and nodes."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from _synth import names

MI = 1024 * 1024
PORTS = {"postgres": 5432, "mysql": 3306, "redis": 6379, "kafka": 9092, "rabbitmq": 5672}
STORE_TYPE = {"postgres": "database", "mysql": "database", "redis": "cache", "kafka": "queue", "rabbitmq": "queue"}
LANGS = ("go", "go", "java", "python", "node")
REPLICAS = (1, 2, 2, 3)
REPLICAS_LARGE = (1, 1, 1, 1, 1, 2, 3)
"""Fewer pods per service in large systems keep a case under 1 MB."""


@dataclass
class Svc:
    """A Deployment serving HTTP (``tech`` = ``http``) or a one-pod StatefulSet datastore."""

    name: str
    team: str
    lang: str
    """Log style: go, java, python, node, or the datastore's own (postgres, mysql, redis, kafka, rabbitmq)."""
    tech: str = "http"
    deps: list[str] = field(default_factory=list)
    replicas: int = 2
    rps: float = 0.0
    latency: float = 0.05
    sigma: float = 0.5
    err: float = 0.002
    cpu: float = 0.2
    cpu_limit: float = 1.0
    cpu_request: float = 0.25
    mem: int = 200 * MI
    mem_limit: int = 512 * MI
    mem_request: int = 256 * MI
    version: str = "1.0.0"
    revision: int = 3
    pd_id: str = ""
    description: str = ""

    @property
    def is_store(self) -> bool:
        return self.tech != "http"

    @property
    def port(self) -> int:
        return PORTS.get(self.tech, 8080)

    @property
    def store_type(self) -> str:
        return STORE_TYPE.get(self.tech, "service")


@dataclass
class Topology:
    namespace: str
    entry: str
    services: dict[str, Svc]
    share: dict[tuple[str, str], float]
    """Share of the caller's requests that reach the dependency."""
    nodes: tuple[str, ...]
    teams: tuple[str, ...]
    registry: str

    def callers(self, name: str) -> list[str]:
        return [s.name for s in self.services.values() if name in s.deps]

    def apps(self) -> list[Svc]:
        return [s for s in self.services.values() if not s.is_store]

    def stores(self) -> list[Svc]:
        return [s for s in self.services.values() if s.is_store]

    def ancestors(self, name: str, hops: int) -> list[list[str]]:
        """Caller chains ``[caller, ..., name]`` of exactly ``hops`` edges ending at ``name``."""
        chains = [[name]]
        for _ in range(hops):
            chains = [[c, *chain] for chain in chains for c in self.callers(chain[0])]
        return chains

    def descendants(self, name: str) -> set[str]:
        out: set[str] = set()
        todo = list(self.services[name].deps)
        while todo:
            d = todo.pop()
            if d not in out:
                out.add(d)
                todo.extend(self.services[d].deps)
        return out

    def host(self, name: str) -> str:
        return f"{name}.{self.namespace}.svc.cluster.local"


def _version(rng: random.Random) -> str:
    return f"{rng.randrange(0, 9)}.{rng.randrange(0, 30)}.{rng.randrange(0, 12)}"


def generate(rng: random.Random) -> Topology:
    n = int(round(8 + (60 - 8) * rng.random() ** 2.6))
    namespace = rng.choice(names.SYSTEMS) + rng.choice(("", "", "-prod", "-live"))
    teams = tuple(f"team-{w}" for w in rng.sample(names.TEAM_WORDS, max(2, min(10, n // 5))))
    taken: set[str] = set()
    entry = rng.choice(names.ENTRIES)
    taken.add(entry)
    order = [entry] + [names.unique(rng, taken, lambda: names.service_name(rng)) for _ in range(n - 1)]
    deps: dict[str, list[str]] = {s: [] for s in order}
    share: dict[tuple[str, str], float] = {}
    for i in range(1, n):
        # a recent service as the first caller keeps chains several hops deep
        lo = max(0, i - 6) if rng.random() < 0.7 else 0
        caller = order[rng.randrange(lo, i)] if i > 1 else entry
        deps[caller].append(order[i])
        if i > 2 and rng.random() < 0.35:
            other = order[rng.randrange(0, i)]
            if order[i] not in deps[other]:
                deps[other].append(order[i])
    stores: list[Svc] = []
    n_stores = max(2, min(8, n // 6 + rng.randrange(0, 3)))
    techs = ["postgres", "redis"] + [rng.choice(("postgres", "mysql", "redis", "kafka", "rabbitmq")) for _ in range(10)]
    for k in range(n_stores):
        tech = techs[k]
        name = names.unique(rng, taken, lambda t=tech: names.store_name(rng, t))  # type: ignore[misc]
        users = rng.sample(order[1:], min(len(order) - 1, rng.choice((1, 1, 2, 2, 3))))
        for u in users:
            deps[u].append(name)
        stores.append(_store(rng, name, tech, rng.choice(teams)))
    for caller, ds in deps.items():
        for d in ds:
            share[(caller, d)] = round(rng.uniform(0.15, 1.0), 2)
    services: dict[str, Svc] = {}
    for i, name in enumerate(order):
        services[name] = Svc(
            name=name,
            team=rng.choice(teams),
            lang=rng.choice(LANGS),
            deps=sorted(deps[name]),
            replicas=rng.choice(REPLICAS if n <= 25 else REPLICAS_LARGE) if i else rng.choice((2, 3)),
            sigma=round(rng.uniform(0.35, 0.6), 2),
            err=round(rng.uniform(0.0005, 0.004), 4),
            cpu_limit=rng.choice((0.5, 1.0, 1.0, 2.0)),
            mem_limit=rng.choice((256, 512, 512, 1024, 2048)) * MI,
            version=_version(rng),
            revision=rng.randrange(3, 80),
        )
    for s in stores:
        services[s.name] = s
    _traffic(rng, order, services, share, entry)
    nodes = names.node_names(rng, rng.randrange(3, 13))
    registry = f"registry.{namespace.split('-')[0]}.example.com/{namespace.split('-')[0]}"
    return Topology(namespace, entry, services, share, nodes, teams, registry)


def _store(rng: random.Random, name: str, tech: str, team: str) -> Svc:
    mem_limit = rng.choice((2048, 4096)) * MI
    return Svc(
        name=name,
        team=team,
        lang=tech,
        tech=tech,
        replicas=1,
        latency=0.003,
        cpu=round(rng.uniform(0.1, 0.4), 2),
        cpu_limit=2.0,
        cpu_request=0.5,
        mem=int(mem_limit * rng.uniform(0.3, 0.6)),
        mem_limit=mem_limit,
        mem_request=mem_limit,
        version={"postgres": "16.4", "mysql": "8.0.39", "redis": "7.2.4", "kafka": "3.7.1", "rabbitmq": "3.13.6"}[tech],
        description=f"{tech} for {name.rsplit('-', 1)[0]}",
    )


def _traffic(
    rng: random.Random, order: list[str], services: dict[str, Svc], share: dict[tuple[str, str], float], entry: str
) -> None:
    """Request rates flow down the DAG; latency adds up the dependencies' share; CPU follows load."""
    services[entry].rps = round(rng.uniform(80, 500), 1)
    for name in order[1:]:
        inbound = sum(services[c].rps * share[(c, name)] for c in order if name in services[c].deps)
        services[name].rps = round(max(2.0, inbound * rng.uniform(0.8, 1.6)), 2)
    for name in reversed(order):
        svc = services[name]
        own = rng.uniform(0.004, 0.05)
        downstream = sum(services[d].latency * share[(name, d)] for d in svc.deps if not services[d].is_store)
        svc.latency = round(own + downstream + 0.002 * sum(services[d].is_store for d in svc.deps), 4)
        per_pod = svc.rps / svc.replicas
        svc.cpu = round(min(svc.cpu_limit * rng.uniform(0.2, 0.45), 0.02 + per_pod * rng.uniform(0.001, 0.004)), 3)
        svc.cpu_request = round(min(svc.cpu_limit, max(0.05, svc.cpu * 1.2)), 2)
        svc.mem = int(svc.mem_limit * rng.uniform(0.25, 0.55))
        svc.mem_request = svc.mem_limit // 2
        svc.description = f"{name.replace('-', ' ')} service"
