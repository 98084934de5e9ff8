"""Scenario recommendations-cpu-saturation (see scenarios/README.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from _gen import logs
from _gen.alerts import am_alert
from _gen.common import (
    ago,
    blip,
    finish,
    harmless_deploy,
    latency_alert,
    old_alert,
    probe_warning,
    setup,
)
from _gen.config import signals_toml
from _gen.render import Bundle


def recommendations_cpu_saturation() -> Bundle:
    w = setup("recommendations-cpu-saturation", datetime(2025, 9, 16, 21, 13, tzinfo=UTC))
    harmless_deploy(w, "inventory", 52, "reservation TTL metric")
    blip(w, "payments", 40, lat=2.5, err=0.01)
    probe_warning(w, "catalog", 26)
    onset = ago(w, 4.2)
    w.episode("recommendations", onset, ramp=90, cpu=2.7, lat=4.5, sigma_add=0.3, err=0.008)
    w.episode("frontend", onset + timedelta(seconds=20), ramp=90, lat_add=0.07, sigma_add=0.25, err=0.002)
    rec_pods = w.pods_of("recommendations")
    for pod in rec_pods:
        logs.background(w, pod, minutes=20, every=8)
        t = onset - timedelta(seconds=25 + w.rng.randrange(10))
        logs.log(
            w,
            pod,
            t,
            logs.python(
                t, "INFO", "recommendations.index", "scheduled index refresh finished: items=2184311 dim=256 took=41.2s"
            ),
        )
        t = onset + timedelta(seconds=40)
        while t < w.page_at:
            logs.log(
                w,
                pod,
                t,
                logs.python(
                    t,
                    "WARNING",
                    "recommendations.api",
                    f"slow request /v1/recommendations took {w.rng.randrange(900, 2600)}ms "
                    f"(budget 300ms), workers busy 8/8, queue {w.rng.randrange(20, 70)}",
                ),
            )
            t += timedelta(seconds=6 + w.rng.random() * 10)
    front = w.pods_of("frontend")[1]
    logs.background(w, front, minutes=15, every=6)
    t = onset + timedelta(seconds=45)
    while t < w.page_at:
        logs.log(
            w,
            front,
            t,
            logs.go(
                t,
                "warn",
                "recommendations timed out, serving fallback",
                upstream="recommendations",
                timeout_ms=300,
                path="/product/" + str(w.rng.randrange(10000, 99999)),
            ),
        )
        t += timedelta(seconds=4 + w.rng.random() * 8)
    finish(w)
    alerts = [
        latency_alert(w, "frontend", 0.52, w.page_at, threshold=0.4),
        am_alert(
            w.page_at,
            "CPUThrottlingHigh",
            "recommendations",
            severity="info",
            receiver="ml-slack",
            summary="Processes experience elevated CPU throttling.",
            description=f"61% throttling of CPU in namespace shop for container recommendations in pod "
            f"{rec_pods[0].name}.",
            starts=ago(w, 1),
            extra={"pod": rec_pods[0].name, "container": "recommendations"},
            expr="sum(increase(container_cpu_cfs_throttled_periods_total[5m])) by (container, pod, namespace) "
            "/ sum(increase(container_cpu_cfs_periods_total[5m])) by (container, pod, namespace) > 0.25",
            runbook="https://runbooks.prometheus-operator.dev/runbooks/kubernetes/cputhrottlinghigh",
        ),
        old_alert(
            w,
            "TargetDown",
            "otel-collector",
            "100% of the otel-collector targets in shop are down.",
            29,
            'up{job="otel-collector"} == 0',
        ),
    ]
    return Bundle(
        w,
        "recommendations' CPU demand more than doubled at 21:09 (a larger index after the evening refresh); "
        "the pods sit at their 1-core limit, CFS throttling climbs, recommendations latency follows, and the "
        "storefront's p99 crosses its threshold while it waits for recommendations before falling back.",
        "HighLatency",
        {
            "component": "recommendations",
            "kind": "resource_saturation",
            "notes": "CPU at the limit with throttled periods ratio ~0.6 (custom signal cpu_throttled in config.toml), "
            "no restarts, no OOM, last deploy days ago. Page on frontend. Red herrings: inventory deploy 52 min "
            "before, payments blip 40 min before, catalog readiness warning, a day-old TargetDown.",
        },
        alerts=alerts,
        config_toml=signals_toml(
            "Default signals plus CPU throttling (cAdvisor CFS counters).",
            cpu_throttled="sum by (service) (rate(container_cpu_cfs_throttled_periods_total[5m])) / "
            "sum by (service) (rate(container_cpu_cfs_periods_total[5m]))",
        ),
    )
