"""Metrics of the large benchmark world as OpenMetrics text (see :mod:`benchmarks.large_world`).

Per-pod cAdvisor and kube-state-metrics series (CPU, working set, restarts) and per-service HTTP
counters and latency histograms, under the standard names the default signals query.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from pathlib import Path

from benchmarks.large_world_model import NAMESPACE, PAGE_AT, Service

BUCKETS = ("0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "+Inf")
WINDOW = timedelta(minutes=60)
STEP = 60


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
