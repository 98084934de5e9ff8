#!/usr/bin/env python3
"""Page-to-complete-timeline latency of the watcher on a large sandbox: ``python benchmarks/page_to_timeline.py``.

The parent process builds the large world (:mod:`benchmarks.large_world`) when missing and starts
the sandbox (real Prometheus and Alertmanager, stand-ins for Kubernetes and Backstage in this
process). The watcher runs in a child process with a fresh SQLite store, so its peak RSS is its
own. For each firing alert (one page each) the child times ``Watcher.ingest_alerts([alert])``
through ``Watcher.gather(incident)`` returning with the timeline written. Then it measures the
floor: every connector call the gathering makes, alone, a few times each; the floor is the
median of the slowest one. Results go to stdout and ``benchmarks/out/results.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

OUT = ROOT / "benchmarks" / "out"
TARGETS = {"p95_seconds": 2.0, "p95_over_floor": 3.0, "peak_rss_mb": 300.0}


# ---------------------------------------------------------------------------------- child: the watcher


def peak_rss_mb() -> float:
    """This process's peak RSS: ``VmHWM`` (per address space, so it starts afresh at exec) where
    there is /proc; ``ru_maxrss`` elsewhere (on Linux it keeps the parent's peak across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(fn: Callable[[], Any], reps: int) -> dict[str, Any]:
    runs = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return {"median": statistics.median(runs), "runs": [round(r, 4) for r in runs]}


def run_child(config: dict[str, Any], *, pages: int, reps: int) -> dict[str, Any]:
    from incident import service
    from incident.config import load_settings
    from incident.models import TimelineEvent
    from incident.registry import build_connectors
    from incident.store import Store
    from incident.watcher import Watcher

    settings = load_settings(overlays=[config], user_file=False)
    store = Store(settings.store.url)
    connectors = build_connectors(settings)
    watcher = Watcher(settings, store, connectors)
    rss_ready = peak_rss_mb()
    assert connectors.alertmanager is not None and connectors.kubernetes is not None
    assert connectors.prometheus is not None and connectors.catalog is not None, connectors.disabled
    firing = sorted((a for a in connectors.alertmanager.active_alerts() if a.status == "firing"),
                    key=lambda a: a.fingerprint)[:pages]
    results = []
    for alert in firing:
        start = time.perf_counter()
        opened = watcher.ingest_alerts([alert])
        outcomes = watcher.gather(opened[0])
        seconds = time.perf_counter() - start
        with store.session() as session:
            incident = service.get(session, incident_id=opened[0])
            assert incident is not None and incident.gathered_at is not None
            events = session.query(TimelineEvent).filter_by(incident_id=opened[0]).count()
        results.append({
            "alert": alert.name, "component": alert.labels.get("service"), "seconds": round(seconds, 4),
            "events": events, "connectors": {o.name: o.error or round(o.seconds, 4) for o in outcomes},
        })
        print(f"  page {len(results):2d} {alert.labels.get('service', '?'):22s} {seconds:6.3f} s  "
              f"{events:4d} events  " + " ".join(f"{o.name}={o.error or f'{o.seconds:.2f}'}" for o in outcomes),
              flush=True)
    rss_pages = peak_rss_mb()
    floor = measure_floor(watcher, reps=reps)
    watcher.stop()
    store.close()
    return {"pages": results, "floor_calls": floor, "rss_after_setup_mb": round(rss_ready, 1),
            "rss_after_pages_mb": round(rss_pages, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1)}


def measure_floor(watcher: Any, *, reps: int) -> dict[str, Any]:
    """Each connector call of one gathering, alone, ``reps`` times (for a page with unhealthy pods)."""
    from incident import service

    conn, cfg = watcher.connectors, watcher.settings
    with watcher.store.session() as session:
        incidents = service.list_incidents(session)
        ctxs = [watcher.context(i) for i in incidents]
    kube = conn.kubernetes
    ctx, pod = ctxs[0], None
    for candidate in ctxs:  # a page whose pods have restarts, so the log call reads a real log
        pods = kube.pods(candidate.component, namespace=candidate.namespace)
        pod = next((p for p in pods if p.restarts), None)
        if pod is not None:
            ctx = candidate
            break
    ns, comp, end = ctx.namespace, ctx.component, ctx.window_end
    pod = pod or kube.pods(comp, namespace=ns)[0]
    container = pod.containers[0]
    calls: dict[str, Callable[[], Any]] = {
        "prometheus.query_signals": lambda: conn.prometheus.query_signals(
            cfg.metrics.effective_signals(), start=ctx.since(cfg.metrics.lookback), end=end,
            step_seconds=cfg.metrics.step.total_seconds()),
        "kubernetes.pods": lambda: kube.pods(comp, namespace=ns),
        "kubernetes.deployments": lambda: kube.deployments(comp, namespace=ns, until=end),
        "kubernetes.events": lambda: kube.events(namespace=ns, since=ctx.since(cfg.watcher.event_lookback), until=end),
        "kubernetes.nodes": kube.nodes,
        "kubernetes.logs": lambda: kube.logs(pod.namespace, pod.name, container.name,
                                             previous=container.last_state == "terminated"),
        "kubernetes.config_changes": lambda: kube.config_changes(
            namespace=ns, since=ctx.since(cfg.watcher.deploy_lookback), until=end),
        "catalog.components": conn.catalog.components,
        "catalog.groups": conn.catalog.groups,
        "alertmanager.active_alerts": conn.alertmanager.active_alerts,
    }
    return {"component": comp, **{name: _timed(fn, reps) for name, fn in calls.items()}}


# ---------------------------------------------------------------------------------- parent: sandbox + report


def nearest_rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def machine() -> dict[str, Any]:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())

    def version(binary: str) -> str | None:
        try:
            out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
        except OSError:
            return None
        return ((out.stdout or out.stderr).splitlines() or [""])[0].strip() or None

    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "prometheus": version("prometheus"), "alertmanager": version("prometheus-alertmanager"),
            "kernel": platform.release()}


def world_counts(scenario: Any) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for obj in scenario.kubernetes:
        kinds[obj["kind"]] = kinds.get(obj["kind"], 0) + 1
    series: set[str] = set()
    with scenario.metrics_path.open() as fh:
        for line in fh:
            if not line.startswith("#"):
                series.add(line.rsplit(" ", 2)[0])
    return {"pods": kinds.get("Pod", 0), "deployments": kinds.get("Deployment", 0),
            "replicasets": kinds.get("ReplicaSet", 0), "events": kinds.get("Event", 0),
            "warning_events": sum(1 for o in scenario.kubernetes if o["kind"] == "Event" and o.get("type") == "Warning"),
            "nodes": kinds.get("Node", 0), "configmaps": kinds.get("ConfigMap", 0),
            "catalog_components": sum(1 for e in scenario.catalog if e.get("kind") == "Component"),
            "alerts": len(scenario.alerts), "metric_series": len(series)}


def summarise(child: dict[str, Any]) -> dict[str, Any]:
    seconds = [p["seconds"] for p in child["pages"]]
    calls = {k: v for k, v in child["floor_calls"].items() if k != "component"}
    slowest = max(calls, key=lambda k: calls[k]["median"])
    p95 = nearest_rank(seconds, 0.95)
    floor = calls[slowest]["median"]
    return {
        "pages": len(seconds), "median_seconds": round(statistics.median(seconds), 4), "p95_seconds": round(p95, 4),
        "max_seconds": round(max(seconds), 4), "first_page_seconds": seconds[0],
        "floor_call": slowest, "floor_seconds": round(floor, 4), "p95_over_floor": round(p95 / floor, 2),
        "peak_rss_mb": child["peak_rss_mb"],
    }


def report(summary: dict[str, Any], child: dict[str, Any]) -> None:
    print("\nconnector calls alone (median of runs, s):")
    for name, res in child["floor_calls"].items():
        if name != "component":
            print(f"  {name:28s} {res['median']:7.3f}")
    print(f"\n{'measure':28s} {'value':>9s}  target")
    rows = [("pages", summary["pages"], ""), ("median (s)", summary["median_seconds"], ""),
            ("p95 (s)", summary["p95_seconds"], "<= 2"), ("max (s)", summary["max_seconds"], ""),
            ("first page, cold (s)", summary["first_page_seconds"], ""),
            (f"floor: {summary['floor_call']} (s)", summary["floor_seconds"], ""),
            ("p95 / floor", summary["p95_over_floor"], "<= 3"),
            ("watcher peak RSS (MB)", summary["peak_rss_mb"], "<= 300")]
    for name, value, target in rows:
        print(f"{name:28s} {value:>9}  {target}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, default=OUT / "large-world", help="scenario dir (built when missing)")
    parser.add_argument("--pages", type=int, default=24, help="pages to time (at most the world's alerts)")
    parser.add_argument("--reps", type=int, default=5, help="runs of each connector call for the floor")
    parser.add_argument("--out", type=Path, default=OUT / "results.json")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.child is not None:  # the watcher process: config in, results out
        config = json.loads(args.child.read_text())
        result = run_child(config, pages=args.pages, reps=args.reps)
        args.child.with_suffix(".out.json").write_text(json.dumps(result))
        return 0

    from benchmarks.large_world import write
    from incident.sandbox.runner import Sandbox
    from incident.scenario import load_scenario

    setup: dict[str, float] = {}
    if not (args.world / "scenario.yaml").is_file():
        start = time.perf_counter()
        write(args.world)
        setup["generate_seconds"] = round(time.perf_counter() - start, 2)
    start = time.perf_counter()
    scenario = load_scenario(args.world)
    setup["load_seconds"] = round(time.perf_counter() - start, 2)
    counts = world_counts(scenario)
    print("world: " + ", ".join(f"{k} {v}" for k, v in counts.items()), flush=True)
    with tempfile.TemporaryDirectory(prefix="incident-bench-") as tmp:
        start = time.perf_counter()
        with Sandbox(scenario, Path(tmp) / "sandbox") as box:
            setup["sandbox_seconds"] = round(time.perf_counter() - start, 2)
            print(f"sandbox up in {setup['sandbox_seconds']} s; parts: {', '.join(box.parts)}; "
                  f"notes: {box.notes or 'none'}", flush=True)
            config_file = Path(tmp) / "config.json"
            store = args.out.parent / "watcher.db"
            for stale in (store, store.with_name("watcher.db-wal"), store.with_name("watcher.db-shm")):
                stale.unlink(missing_ok=True)  # a fresh store for every run; kept afterwards for a look
            config_file.write_text(json.dumps(box.config(store_url=f"sqlite:///{store}")))
            start = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--child", str(config_file), "--pages", str(args.pages),
                            "--reps", str(args.reps)], check=True)
            setup["child_seconds"] = round(time.perf_counter() - start, 2)
            child = json.loads(config_file.with_suffix(".out.json").read_text())
    summary = summarise(child)
    report(summary, child)
    met = {k: summary[k] <= limit for k, limit in TARGETS.items()}
    print("targets met: " + ", ".join(f"{k} {'yes' if ok else 'NO'}" for k, ok in met.items()))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "world": counts,
        "setup": setup, "summary": summary, "targets": TARGETS, "met": met, **child,
    }, indent=1))
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
