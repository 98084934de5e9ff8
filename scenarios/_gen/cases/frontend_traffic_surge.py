"""Scenario frontend-traffic-surge (see scenarios/README.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from _gen import logs
from _gen.common import (
    ago,
    blip,
    disk_alert,
    finish,
    harmless_deploy,
    latency_alert,
    probe_warning,
    setup,
)
from _gen.kevents import event, hpa, pod_started_events
from _gen.render import Bundle


def frontend_traffic_surge() -> Bundle:
    w = setup("frontend-traffic-surge", datetime(2025, 11, 28, 8, 3, tzinfo=UTC), frontend_hpa=False)
    harmless_deploy(w, "payments", 50, "3DS challenge copy update")
    blip(w, "shipping", 40, lat=2.3, err=0.01)
    probe_warning(w, "inventory", 29)
    onset = ago(w, 4.5)
    surge = {
        "frontend": 3.6,
        "catalog": 3.0,
        "search": 3.3,
        "recommendations": 3.0,
        "cart": 2.7,
        "checkout": 2.3,
        "payments": 2.3,
        "inventory": 2.2,
        "shipping": 2.4,
    }
    for name, mult in surge.items():
        w.episode(name, onset + timedelta(seconds=0 if name == "frontend" else 10), ramp=100, rps=mult)
    w.episode("frontend", onset + timedelta(seconds=30), ramp=90, lat=2.4, sigma_add=0.3, err=0.009)
    for name, lat in (("catalog", 1.3), ("search", 1.5), ("recommendations", 1.4), ("cart", 1.2)):
        w.episode(name, onset + timedelta(seconds=40), ramp=90, lat=lat)
    w.episode("shop-db", onset + timedelta(seconds=20), ramp=90, cpu=2.4)
    w.episode("cart-redis", onset + timedelta(seconds=20), ramp=90, cpu=2.6)
    w.error_codes["frontend"] = {"500": 0.2, "502": 0.2, "503": 0.6}
    rev = w.current("frontend")
    scale_at = ago(w, 2.0)
    event(
        w,
        "HorizontalPodAutoscaler",
        "frontend",
        "SuccessfulRescale",
        "New size: 8; reason: cpu resource utilization (percentage of request) above target",
        scale_at,
        component="horizontal-pod-autoscaler",
        api_version="autoscaling/v2",
    )
    event(
        w,
        "Deployment",
        "frontend",
        "ScalingReplicaSet",
        f"Scaled up replica set {rev.name} to 8 from 4",
        scale_at + timedelta(seconds=1),
        component="deployment-controller",
        api_version="apps/v1",
    )
    for i in range(4):
        pod = w.add_pod(rev, scale_at + timedelta(seconds=1 + i))
        pod_started_events(w, pod, f"{pod.svc.image}")
        logs.startup(w, pod, pod.created + timedelta(seconds=5))
    later = w.page_at + timedelta(seconds=60)
    event(
        w,
        "HorizontalPodAutoscaler",
        "frontend",
        "SuccessfulRescale",
        "New size: 10; reason: cpu resource utilization (percentage of request) above target",
        later,
        component="horizontal-pod-autoscaler",
        api_version="autoscaling/v2",
    )
    for i in range(2):
        pod = w.add_pod(rev, later + timedelta(seconds=1 + i))
        pod_started_events(w, pod, f"{pod.svc.image}")
    w.desired["frontend"] = 8
    rev.replicas = 8
    hpa(w, "frontend", 4, 12, 8, 8, 168, last_scale=scale_at)
    front = w.pods_of("frontend")[0]
    logs.background(w, front, minutes=15, every=4, until=onset)
    t = onset
    while t < w.page_at:
        if w.rng.random() < 0.12:
            logs.log(
                w,
                front,
                t,
                logs.go(
                    t,
                    "warn",
                    "load shedding: too many in-flight requests",
                    status=503,
                    inflight=w.rng.randrange(480, 620),
                    limit=450,
                ),
            )
        else:
            logs.log(
                w,
                front,
                t,
                logs.go(
                    t,
                    "info",
                    "request completed",
                    method="GET",
                    status=200,
                    path=f"/product/{w.rng.randrange(10000, 99999)}?utm_source=newsletter&utm_campaign=bf-2025-early",
                    duration_ms=round(90 + w.rng.random() * 600, 1),
                ),
            )
        t += timedelta(seconds=0.8 + w.rng.random() * 1.5)
    finish(w)
    alerts = [
        latency_alert(w, "frontend", 0.71, w.page_at, threshold=0.5),
        latency_alert(w, "search", 0.62, ago(w, 0.5), severity="warning", receiver="discovery-slack", threshold=0.5),
        disk_alert(w, "shop-db", hours=40),
    ]
    return Bundle(
        w,
        "The Black Friday early-access newsletter went out at 07:58; storefront traffic went from ~200 to "
        "~750 requests/s in two minutes, frontend pods saturated their CPU and started shedding load, and "
        "every downstream service saw 2-3x its usual load. The HPA is adding frontend pods.",
        "HighLatency",
        {
            "component": "frontend",
            "kind": "traffic_surge",
            "notes": "request_rate 3.6x on frontend (utm_campaign in the logs), 2-3x downstream, no change before "
            "onset; HPA rescale 4 -> 8 at 08:01 and 8 -> 10 after the page (pods and event never served). "
            "Red herrings: payments deploy 50 min before, shipping blip 40 min before, inventory readiness "
            "warning, old disk alert.",
        },
        alerts=alerts,
    )
