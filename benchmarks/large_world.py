#!/usr/bin/env python3
"""Generate the large benchmark scenario: ``python benchmarks/large_world.py [DIR]``.

One namespace (``prod``) of 320 services in 20 domains: 2,235 Pods, 320 Deployments with 2-3
ReplicaSets each, 11,535 Events (3,180 Warning), 24 Nodes, a ConfigMap per service, a
Backstage catalog (320 Components with dependsOn edges, 20 Systems, 21 Groups, 40 Users), 24
firing alerts on different services (each its own page) and 10,776 metric series (per-pod
cAdvisor and kube-state-metrics series, per-service HTTP counters and histograms) over the hour
before the page at 60 s. A single namespace is the hard case: every page lists all of its
Deployments, ReplicaSets and Warning events. Deterministic: the same bytes on every run.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.large_world_events import events, logs  # noqa: E402
from benchmarks.large_world_k8s import configmap, deployment, nodes, pods, replicasets  # noqa: E402
from benchmarks.large_world_metrics import metrics  # noqa: E402
from benchmarks.large_world_model import DOMAINS, NAMESPACE, PAGE_AT, Service, services  # noqa: E402

ALERTS = {
    "error_spike": ("HighErrorRatio", "more than 5% of requests fail"),
    "bad_deploy": ("HighErrorRatio", "more than 5% of requests fail"),
    "latency": ("HighLatencyP99", "p99 latency above 1 s"),
    "crashloop": ("KubePodCrashLooping", "pods are restarting repeatedly"),
    "oom": ("KubeContainerOOMKilled", "containers were OOM-killed"),
    "cpu": ("CPUThrottlingHigh", "CPU usage above 90% of the limit"),
}


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
