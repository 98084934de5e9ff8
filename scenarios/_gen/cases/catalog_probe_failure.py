"""Scenario catalog-probe-failure (see scenarios/README.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from _gen import logs
from _gen.common import (
    ago,
    blip,
    disk_alert,
    error_alert,
    finish,
    harmless_deploy,
    latency_alert,
    probe_warning,
    setup,
)
from _gen.k8s import pod_ip
from _gen.kevents import event
from _gen.patches import on, set_condition, steady_deployment
from _gen.render import Bundle
from _gen.workloads import cluster_ip
from _gen.world import ts

PERIOD = 5
"""Readiness probe period (seconds); three failures in a row mark the pod unready."""


def catalog_probe_failure() -> Bundle:
    w = setup("catalog-probe-failure", datetime(2025, 10, 8, 13, 37, tzinfo=UTC))
    harmless_deploy(w, "checkout", 46, "order confirmation e-mail template")
    blip(w, "cart", 35, lat=2.3, err=0.012)
    probe_warning(w, "shipping", 31, kind="Liveness")
    feed_stalled = ago(w, 11.2)
    pods = w.pods_of("catalog")
    last_sync = [ago(w, 10.85), ago(w, 9.95), ago(w, 8.4)]
    caught_up = ago(w, 2.3)
    """pod 2 picks up a late partial export and turns ready again."""
    fails: list[tuple[datetime, datetime]] = []
    for pod, synced in zip(pods, last_sync, strict=True):
        first = synced + timedelta(seconds=300 + w.rng.randrange(1, PERIOD))
        last = (
            caught_up - timedelta(seconds=4) if pod is pods[2] else w.page_at - timedelta(seconds=w.rng.randrange(1, 4))
        )
        fails.append((first, last))
        unready = first + timedelta(seconds=2 * PERIOD)
        pod.down = [(unready, caught_up + timedelta(seconds=5) if pod is pods[2] else w.page_at + timedelta(hours=1))]
        event(
            w,
            "Pod",
            pod.name,
            "Unhealthy",
            "Readiness probe failed: HTTP probe failed with statuscode: 503",
            first,
            last=last,
            count=int((last - first).total_seconds() // PERIOD) + 1,
            type="Warning",
            host=pod.node,
            field_path="spec.containers{catalog}",
        )
        logs.background(w, pod, minutes=15, every=8, until=unready)
        t = feed_stalled + timedelta(seconds=30 + pods.index(pod) * 17)
        while t < w.page_at:
            age = int((t - synced).total_seconds())
            if pod is pods[2] and t > caught_up:
                age = int((t - caught_up).total_seconds())
            logs.log(
                w,
                pod,
                t,
                logs.go(
                    t,
                    "warn",
                    "price feed sync: no new export",
                    feed="erp-prices",
                    last_export=ts(feed_stalled - timedelta(minutes=15)),
                    last_sync_age_s=age,
                )
                if not (pod is pods[2] and caught_up <= t < caught_up + timedelta(seconds=60))
                else logs.go(t, "info", "price feed sync: applied partial export", feed="erp-prices", rows=1840),
            )
            t += timedelta(seconds=60)
        t = first
        while t <= last:
            logs.log(
                w,
                pod,
                t,
                logs.go(
                    t,
                    "warn",
                    "readiness check failed",
                    check="price_feed",
                    last_sync_age_s=int((t - synced).total_seconds()),
                    max_age_s=300,
                    status=503,
                ),
            )
            t += timedelta(seconds=PERIOD)
    logs.background(w, pods[2], since=caught_up + timedelta(seconds=6), every=3)

    def recovered(obj: dict) -> None:
        for ctype in ("Ready", "ContainersReady"):
            set_condition(obj["status"]["conditions"], ctype, "True", caught_up + timedelta(seconds=5))

    on(w, "Pod", pods[2].name, recovered)
    steady_deployment(w, "catalog", pods[1].down[0][0])
    down_from = pods[0].down[0][0]
    outage = (pods[2].down[0][0], pods[2].down[0][1])
    w.episode("catalog", down_from, ramp=60, lat=1.4, cpu=1.1)
    w.episode("catalog", outage[1], ramp=30, lat=2.4, err=0.025, sigma_add=0.3)
    w.error_codes["catalog"] = {"500": 0.2, "503": 0.8}
    w.propagate("catalog", down_from, err=0.1, lat_add=0.12)
    w.propagate("catalog", outage[0], err=0.9, ramp=10, end=outage[1])
    front = w.pods_of("frontend")[0]
    logs.background(w, front, minutes=15, every=5)
    ip = cluster_ip("catalog")
    t = outage[0] + timedelta(seconds=1)
    while t < w.page_at:
        if t < outage[1]:
            line = logs.go(
                t,
                "error",
                "upstream error",
                upstream="catalog",
                path=f"/product/{w.rng.randrange(10000, 99999)}",
                error=f'Get "http://catalog:8080/v1/products": dial tcp {ip}:8080: connect: connection refused',
                status=502,
            )
            step = 0.5 + w.rng.random()
        else:
            line = logs.go(
                t,
                "warn",
                "slow upstream",
                upstream="catalog",
                path="/v1/products",
                duration_ms=w.rng.randrange(350, 1900),
            )
            step = 4 + w.rng.random() * 6
        logs.log(w, front, t, line)
        t += timedelta(seconds=step)
    search = w.pods_of("search")[1]
    logs.background(w, search, minutes=15, every=6)
    t = outage[0] + timedelta(seconds=2)
    while t < outage[1]:
        logs.log(
            w,
            search,
            t,
            logs.python(
                t,
                "ERROR",
                "search.catalog",
                "catalog lookup failed: httpx.ConnectError: [Errno 111] Connection refused",
            ),
        )
        t += timedelta(seconds=2 + w.rng.random() * 3)
    late = w.pods_of("search")[2]
    event(
        w,
        "Pod",
        late.name,
        "Unhealthy",
        f'Readiness probe failed: Get "http://{pod_ip(late.name)}:8080/ready": context deadline exceeded '
        "(Client.Timeout exceeded while awaiting headers)",
        w.page_at + timedelta(seconds=41),
        type="Warning",
        host=late.node,
        field_path="spec.containers{search}",
    )
    finish(w)
    alerts = [
        error_alert(w, "frontend", 8.7, w.page_at),
        latency_alert(w, "search", 1.12, ago(w, 1.5), severity="warning", receiver="discovery-slack"),
        disk_alert(w, "shop-db", hours=21),
    ]
    return Bundle(
        w,
        "The ERP price export stalled at 13:25:48. catalog's readiness endpoint fails (503) when a pod's last "
        "price sync is older than five minutes, so the pods dropped out of the Service one after another "
        "though they could serve: for about a minute catalog had no endpoints at all, and now one pod carries "
        "all the traffic. The storefront, search and recommendations see connection refused and slow "
        "product lookups.",
        "HighErrorRatio",
        {
            "component": "catalog",
            "kind": "probe_failure",
            "notes": "Unhealthy events 'Readiness probe failed: HTTP probe failed with statuscode: 503' on all three "
            "catalog pods; pods Running with 0 restarts, Ready=False on two; available replicas 3 -> 0 -> 1. "
            "catalog logs: readiness check price_feed failing. No deploy, OOM or crash of catalog. Page on "
            "frontend. Red herrings: checkout deploy 46 min before, cart blip, shipping liveness warning, old "
            "disk alert on shop-db. A search readiness timeout after the page is never served.",
        },
        alerts=alerts,
    )
