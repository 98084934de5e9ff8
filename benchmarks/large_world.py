#!/usr/bin/env python3
"""Generate the large benchmark scenario: ``python benchmarks/large_world.py [DIR]``.

One namespace (``prod``) of 320 services in 20 domains: 2,240 Pods, 320 Deployments with 2-3
ReplicaSets each, ~11,000 Events (a quarter Warning), 24 Nodes, a ConfigMap per service, a
Backstage catalog (320 Components with dependsOn edges, 20 Systems, 21 Groups, 40 Users), 24
firing alerts on different services (each its own page) and ~10,500 metric series (per-pod
cAdvisor and kube-state-metrics series, per-service HTTP counters and histograms) over the hour
before the page at 60 s. A single namespace is the hard case: every page lists all of its
Deployments, ReplicaSets and Warning events. Deterministic: the same bytes on every run.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.large_world_k8s import (  # noqa: E402
    NAMESPACE,
    Service,
    configmap,
    deployment,
    events,
    logs,
    nodes,
    pods,
    replicasets,
)

PAGE_AT = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
DOMAINS = (
    "checkout",
    "cart",
    "payments",
    "search",
    "catalog",
    "inventory",
    "shipping",
    "orders",
    "users",
    "auth",
    "billing",
    "ledger",
    "pricing",
    "promo",
    "reviews",
    "media",
    "notify",
    "fraud",
    "risk",
    "ads",
)
ROLES = (
    "api",
    "worker",
    "gateway",
    "sync",
    "indexer",
    "scheduler",
    "cache",
    "db-proxy",
    "exporter",
    "router",
    "store",
    "ingest",
    "events",
    "reports",
    "admin",
    "batch",
)
FAULTS = ("error_spike", "latency", "crashloop", "oom", "cpu", "bad_deploy")
ALERTS = {
    "error_spike": ("HighErrorRatio", "more than 5% of requests fail"),
    "bad_deploy": ("HighErrorRatio", "more than 5% of requests fail"),
    "latency": ("HighLatencyP99", "p99 latency above 1 s"),
    "crashloop": ("KubePodCrashLooping", "pods are restarting repeatedly"),
    "oom": ("KubeContainerOOMKilled", "containers were OOM-killed"),
    "cpu": ("CPUThrottlingHigh", "CPU usage above 90% of the limit"),
}
PAGES = 24
BUCKETS = ("0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "+Inf")
WINDOW = timedelta(minutes=60)
STEP = 60


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


# ---------------------------------------------------------------------------------- catalog


def catalog(svcs: list[Service]) -> list[dict[str, Any]]:
    api = "backstage.io/v1alpha1"
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": api,
            "kind": "Group",
            "metadata": {"name": "engineering"},
            "spec": {
                "type": "department",
                "profile": {"displayName": "Engineering"},
                "children": [f"team-{d}" for d in DOMAINS],
            },
        }
    ]
    for d in DOMAINS:
        members = [f"{d}-oncall-{n}" for n in (1, 2)]
        docs.append(
            {
                "apiVersion": api,
                "kind": "Group",
                "metadata": {"name": f"team-{d}"},
                "spec": {
                    "type": "team",
                    "parent": "engineering",
                    "children": [],
                    "members": members,
                    "profile": {"displayName": d.title(), "email": f"{d}-oncall@example.com"},
                },
            }
        )
        docs.extend(
            {
                "apiVersion": api,
                "kind": "User",
                "metadata": {"name": m},
                "spec": {"profile": {"email": f"{m}@example.com"}, "memberOf": [f"team-{d}"]},
            }
            for m in members
        )
        docs.append(
            {"apiVersion": api, "kind": "System", "metadata": {"name": d}, "spec": {"owner": f"group:team-{d}"}}
        )
    for s in svcs:
        docs.append(
            {
                "apiVersion": api,
                "kind": "Component",
                "metadata": {
                    "name": s.name,
                    "description": f"{s.name.replace('-', ' ')} service",
                    "annotations": {
                        "backstage.io/kubernetes-id": s.name,
                        "backstage.io/kubernetes-namespace": NAMESPACE,
                        "pagerduty.com/service-id": f"P{s.index:06d}",
                    },
                    "links": [{"url": f"https://runbooks.example.com/{s.name}", "title": "Runbook", "type": "runbook"}],
                },
                "spec": {
                    "type": "service",
                    "lifecycle": "production",
                    "owner": f"group:team-{s.domain}",
                    "system": s.domain,
                    "dependsOn": [f"component:{d}" for d in s.deps],
                },
            }
        )
    return docs


def alerts(svcs: list[Service]) -> list[dict[str, Any]]:
    out = []
    for s in svcs:
        if s.fault is None or s.onset is None:
            continue
        name, text = ALERTS[s.fault]
        starts = s.onset + timedelta(minutes=3)
        out.append(
            {
                "labels": {"alertname": name, "namespace": NAMESPACE, "service": s.name, "severity": "critical"},
                "annotations": {
                    "summary": f"{s.name}: {text}",
                    "runbook_url": f"https://runbooks.example.com/{s.name}",
                },
                "startsAt": _iso(starts),
                "endsAt": _iso(PAGE_AT + timedelta(minutes=4)),
                "fingerprint": f"{s.index:016x}",
                "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
                "receivers": [{"name": "oncall-pager"}],
                "updatedAt": _iso(PAGE_AT),
                "generatorURL": f"http://prometheus.example.com/graph?g0.expr=ALERTS%7Bservice%3D%22{s.name}%22%7D",
            }
        )
    return out


# ---------------------------------------------------------------------------------- metrics


def _shifted(s: Service, kind: str, t: datetime) -> bool:
    return s.onset is not None and t >= s.onset and s.fault in kind.split("|")


def metrics(svcs: list[Service], path: Path) -> int:
    """Write OpenMetrics families in order; return the number of series."""
    since = PAGE_AT - WINDOW
    times = [since + timedelta(seconds=STEP * k) for k in range(int(WINDOW.total_seconds()) // STEP + 1)]
    stamps = [int(t.timestamp()) for t in times]
    count = 0
    with path.open("w") as fh:

        def family(name: str, kind: str, help_: str) -> None:
            fh.write(f"# HELP {name} {help_}\n# TYPE {name} {kind}\n")

        def series(name: str, labels: str, values: list[float], alive: tuple[datetime, datetime | None]) -> None:
            nonlocal count
            count += 1
            fh.writelines(
                f"{name}{{{labels}}} {v:.6g} {stamp}\n"
                for v, t, stamp in zip(values, times, stamps, strict=True)
                if alive[0] <= t and (alive[1] is None or t < alive[1])
            )

        always = (since, None)
        family("container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed.")
        for s in svcs:
            for pod, rng, *alive in s.pod_series(since):
                load = [s.cpu * (3.2 if _shifted(s, "cpu", t) else 1) * rng.uniform(0.9, 1.1) for t in times]
                series(
                    "container_cpu_usage_seconds_total",
                    s.pod_labels(pod) + f',container="{s.name}"',
                    _cumulative(load, 5e4 * rng.random()),
                    (alive[0], alive[1]),
                )
        family("container_memory_working_set_bytes", "gauge", "Current working set.")
        for s in svcs:
            for pod, rng, *alive in s.pod_series(since):
                grow = [
                    min(1.0, (t - s.onset) / timedelta(minutes=6)) if s.onset and _shifted(s, "oom", t) else 0.0
                    for t in times
                ]
                mem = [s.mem * (1 + 0.9 * g) * rng.uniform(0.98, 1.02) for g in grow]
                series(
                    "container_memory_working_set_bytes",
                    s.pod_labels(pod) + f',container="{s.name}"',
                    mem,
                    (alive[0], alive[1]),
                )
        family("kube_pod_container_status_restarts", "counter", "Container restarts.")
        for s in svcs:
            faulty = set(s.pod_names(s.revision)[:2]) if s.fault in ("crashloop", "oom") else set()
            for pod, _rng, *alive in s.pod_series(since):
                restarts = [
                    float((t - s.onset) // timedelta(minutes=2)) + 1
                    if pod in faulty and s.onset and t >= s.onset
                    else 0.0
                    for t in times
                ]
                series(
                    "kube_pod_container_status_restarts_total",
                    s.pod_labels(pod) + f',container="{s.name}"',
                    restarts,
                    (alive[0], alive[1]),
                )
        family("http_requests", "counter", "HTTP requests served, by status code.")
        for s in svcs:
            rng = random.Random(f"http-{s.index}")
            ok = [s.rps * rng.uniform(0.95, 1.05) for _ in times]
            bad = [
                r * (0.25 if _shifted(s, "error_spike|bad_deploy", t) else 0.004)
                for r, t in zip(ok, times, strict=True)
            ]
            for code, rates in (("200", ok), ("500", bad)):
                series(
                    "http_requests_total",
                    f'namespace="{NAMESPACE}",service="{s.name}",code="{code}"',
                    _cumulative(rates, 1e6 * rng.random()),
                    always,
                )
        family("http_request_duration_seconds", "histogram", "Request latency.")
        for s in svcs:
            rng = random.Random(f"lat-{s.index}")
            medians = [s.latency * (6 if _shifted(s, "latency", t) else 1) * rng.uniform(0.95, 1.05) for t in times]
            base = f'namespace="{NAMESPACE}",service="{s.name}"'
            for le in BUCKETS:
                share = [1.0 if le == "+Inf" else _lognormal_cdf(float(le), m) for m in medians]
                series(
                    "http_request_duration_seconds_bucket",
                    base + f',le="{le}"',
                    _cumulative([s.rps * f for f in share], 0.0),
                    always,
                )
            series("http_request_duration_seconds_count", base, _cumulative([s.rps] * len(times), 0.0), always)
            series(
                "http_request_duration_seconds_sum", base, _cumulative([s.rps * m * 1.3 for m in medians], 0.0), always
            )
        fh.write("# EOF\n")
    return count


def _cumulative(rates: list[float], start: float) -> list[float]:
    out, total = [], start
    for r in rates:
        total += r * STEP
        out.append(round(total, 3))
    return out


def _lognormal_cdf(x: float, median: float, sigma: float = 0.6) -> float:
    return 0.5 * (1 + math.erf(math.log(x / median) / (sigma * math.sqrt(2))))


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


# ---------------------------------------------------------------------------------- writing


def write(root: Path) -> dict[str, int]:
    """Write the scenario into ``root``; return object counts."""
    svcs = services()
    (root / "kubernetes").mkdir(parents=True, exist_ok=True)
    (root / "catalog").mkdir(parents=True, exist_ok=True)
    first = next(s for s in svcs if s.fault)
    (root / "scenario.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "large-world",
                "description": "Benchmark world: 320 services, 2,240 pods, 24 concurrent pages.",
                "page": {
                    "source": "alertmanager",
                    "at": PAGE_AT.isoformat().replace("+00:00", "Z"),
                    "alert": ALERTS[first.fault or ""][0],
                },
                "truth": {"component": first.name, "kind": "code_error"},
            },
            sort_keys=False,
        )
    )
    lists = {
        "pods": [p for s in svcs for p in pods(s)],
        "deployments": [deployment(s) for s in svcs],
        "replicasets": [rs for s in svcs for rs in replicasets(s)],
        "events": events(svcs, PAGE_AT),
        "nodes": nodes(PAGE_AT),
        "configmaps": [configmap(s, PAGE_AT) for s in svcs],
    }
    for name, items in lists.items():
        (root / "kubernetes" / f"{name}.json").write_text(
            json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
        )
    docs = catalog(svcs)
    (root / "catalog" / "catalog.yaml").write_text(yaml.dump_all(docs, Dumper=yaml.CSafeDumper, sort_keys=False))
    page_alerts = alerts(svcs)
    (root / "alertmanager.json").write_text(json.dumps(page_alerts, indent=1))
    log_files = logs(svcs, root / "logs", PAGE_AT)
    count = metrics(svcs, root / "metrics.om")
    return {
        **{k: len(v) for k, v in lists.items()},
        "warning_events": sum(e["type"] == "Warning" for e in lists["events"]),
        "components": sum(d["kind"] == "Component" for d in docs),
        "alerts": len(page_alerts),
        "log_files": log_files,
        "metric_series": count,
    }


def main(argv: list[str] | None = None) -> int:
    default = Path(__file__).resolve().parent / "out" / "large-world"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?", type=Path, default=default, help=f"output directory (default {default})")
    args = parser.parse_args(argv)
    counts = write(args.dir)
    size = sum(f.stat().st_size for f in args.dir.rglob("*") if f.is_file())
    print(f"{args.dir}: {size / 2**20:.0f} MiB; " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
