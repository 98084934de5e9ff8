"""The watcher side of :mod:`benchmarks.page_to_timeline`, run in its own process.

Its peak RSS is read from ``VmHWM``, which starts afresh at exec (``ru_maxrss`` would carry the
parent's peak over on Linux).
"""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def peak_rss_mb() -> float:
    """This process's peak RSS in MB: ``VmHWM`` where there is /proc, else ``ru_maxrss``."""
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
    """Time ``pages`` pages (one firing alert each), then the floor; return the measurements."""
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
    assert connectors.alertmanager and connectors.kubernetes and connectors.catalog, connectors.disabled
    firing = sorted(
        (a for a in connectors.alertmanager.active_alerts() if a.status == "firing"), key=lambda a: a.fingerprint
    )[:pages]
    analysis: list[float] = []  # [start, seconds] of the analyzer run that ends gather(), when there is one
    if hasattr(watcher, "diagnose"):
        diagnose = watcher.diagnose

        def timed_diagnose(incident_id: int) -> None:
            analysis[:] = [time.perf_counter()]
            diagnose(incident_id)
            analysis.append(time.perf_counter() - analysis[0])

        watcher.diagnose = timed_diagnose  # type: ignore[method-assign]
    results = []
    for alert in firing:
        analysis.clear()
        start = time.perf_counter()
        opened = watcher.ingest_alerts([alert])
        outcomes = watcher.gather(opened[0])
        seconds = time.perf_counter() - start
        timeline = analysis[0] - start if analysis else seconds
        with store.session() as session:
            incident = service.get(session, incident_id=opened[0])
            assert incident is not None and incident.gathered_at is not None
            events = session.query(TimelineEvent).filter_by(incident_id=opened[0]).count()
        results.append(
            {
                "alert": alert.name,
                "component": alert.labels.get("service"),
                "timeline_seconds": round(timeline, 4),
                "gather_seconds": round(seconds, 4),
                "analysis_seconds": round(analysis[1], 4) if analysis else None,
                "events": events,
                "connectors": {o.name: o.error or round(o.seconds, 4) for o in outcomes},
            }
        )
        print(
            f"  page {len(results):2d} {alert.labels.get('service', '?'):22s} timeline {timeline:6.3f} s  "
            f"+ analysis {seconds - timeline:5.3f} s  {events:4d} events  "
            + " ".join(f"{o.name}={o.error or f'{o.seconds:.2f}'}" for o in outcomes),
            flush=True,
        )
    rss_pages = peak_rss_mb()
    floor = measure_floor(watcher, reps=reps)
    watcher.stop()
    store.close()
    return {
        "pages": results,
        "floor_calls": floor,
        "rss_after_setup_mb": round(rss_ready, 1),
        "rss_after_pages_mb": round(rss_pages, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


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
    calls: dict[str, Callable[[], Any]] = {}
    if conn.prometheus is not None:  # the sandbox runs without it when the binary is missing
        signals, lookback, step = cfg.metrics.effective_signals(), cfg.metrics.lookback, cfg.metrics.step
        calls["prometheus.query_signals"] = lambda: conn.prometheus.query_signals(
            signals, start=ctx.since(lookback), end=end, step_seconds=step.total_seconds()
        )
    calls |= {
        "kubernetes.pods": lambda: kube.pods(comp, namespace=ns),
        "kubernetes.deployments": lambda: kube.deployments(comp, namespace=ns, until=end),
        "kubernetes.deployments_of (related)": lambda: kube.deployments_of(ctx.related, namespace=ns, until=end),
        "kubernetes.events": lambda: kube.events(namespace=ns, since=ctx.since(cfg.watcher.event_lookback), until=end),
        "kubernetes.nodes": kube.nodes,
        "kubernetes.logs": lambda: kube.logs(
            pod.namespace, pod.name, container.name, previous=container.last_state == "terminated"
        ),
        "kubernetes.config_changes": lambda: kube.config_changes(
            namespace=ns, since=ctx.since(cfg.watcher.deploy_lookback), until=end
        ),
        "catalog.components": conn.catalog.components,
        "catalog.groups": conn.catalog.groups,
        "alertmanager.active_alerts": conn.alertmanager.active_alerts,
    }
    return {"component": comp, **{name: _timed(fn, reps) for name, fn in calls.items()}}
