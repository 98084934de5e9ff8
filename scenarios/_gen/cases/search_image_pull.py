"""Scenario search-image-pull (see scenarios/README.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from _gen import logs
from _gen.alerts import am_alert
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
from _gen.kevents import event, pod_started_events, rollout
from _gen.render import Bundle


def search_image_pull() -> Bundle:
    w = setup("search-image-pull", datetime(2026, 2, 17, 10, 26, tzinfo=UTC))
    harmless_deploy(w, "shipping", 48, "DHL label template v3")
    blip(w, "cart", 38, lat=2.4, err=0.01)
    probe_warning(w, "payments", 31)
    at = ago(w, 5.2)
    image = "registry.shop.example.com/shop/search:2.8.0"
    rev = rollout(
        w,
        "search",
        at,
        "2.8.0",
        "deploy search 2.8.0: typo-tolerant ranking (PR #733)",
        status="image_pull",
        keep_old=3,
        new_pods=2,
    )
    old_gone = [p for p in w.pods if p.service == "search" and p.ended is not None and p.ended > at]
    onset = old_gone[0].ended if old_gone else at
    for pod in (p for p in w.pods if p.revision is rev):
        pod_started_events(w, pod, image, pulled=False)
        fp = "spec.containers{search}"
        start = pod.created + timedelta(seconds=3)
        failures = 1 + int((w.page_at - start).total_seconds() // 75)
        event(
            w,
            "Pod",
            pod.name,
            "Failed",
            f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull and unpack image '
            f'"{image}": failed to resolve reference "{image}": {image}: not found: manifest unknown',
            start,
            last=start + timedelta(seconds=75 * (failures - 1)),
            count=failures,
            type="Warning",
            host=pod.node,
            field_path=fp,
        )
        event(
            w,
            "Pod",
            pod.name,
            "Failed",
            "Error: ErrImagePull",
            start,
            last=start + timedelta(seconds=75 * (failures - 1)),
            count=failures,
            type="Warning",
            host=pod.node,
            field_path=fp,
        )
        event(
            w,
            "Pod",
            pod.name,
            "BackOff",
            f'Back-off pulling image "{image}"',
            start + timedelta(seconds=12),
            last=ago(w, 0.3),
            count=failures * 3 + 2,
            host=pod.node,
            field_path=fp,
        )
        event(
            w,
            "Pod",
            pod.name,
            "Failed",
            "Error: ImagePullBackOff",
            start + timedelta(seconds=12),
            last=ago(w, 0.3),
            count=failures * 3 + 2,
            type="Warning",
            host=pod.node,
            field_path=fp,
        )
    w.episode("search", onset, ramp=60, lat=2.6, sigma_add=0.35, err=0.03, cpu=1.25)
    w.error_codes["search"] = {"500": 0.3, "503": 0.7}
    w.propagate("search", onset, lat_add=0.12, err=0.03)
    for pod in w.pods_of("search")[:2]:
        if pod.revision is rev:
            continue
        logs.background(w, pod, minutes=15, every=6)
        t = onset + timedelta(seconds=30)
        while t < w.page_at:
            logs.log(
                w,
                pod,
                t,
                logs.python(
                    t,
                    "WARNING",
                    "search.api",
                    f"request queue depth {w.rng.randrange(40, 90)} exceeds 32, worker pool saturated (8/8)",
                ),
            )
            t += timedelta(seconds=10 + w.rng.random() * 15)
    finish(w)
    alerts = [
        latency_alert(w, "search", 1.84, w.page_at),
        am_alert(
            w.page_at,
            "KubePodNotReady",
            "search",
            severity="warning",
            receiver="discovery-slack",
            summary="Pod has been in a non-ready state for more than 2 minutes.",
            description=f"Pod shop/{[p for p in w.pods if p.revision is rev][0].name} has been in a non-ready "
            "state for longer than 2 minutes.",
            starts=ago(w, 2),
            extra={"pod": [p for p in w.pods if p.revision is rev][0].name},
            expr='sum by (namespace, pod) (kube_pod_status_phase{phase=~"Pending|Unknown"}) > 0',
            runbook="https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodnotready",
        ),
        disk_alert(w, "shop-db", hours=30),
    ]
    return Bundle(
        w,
        "search 2.8.0 was rolled out at 10:20:48 but CI had only pushed 2.8.0-rc.1: the new pods cannot pull "
        "their image, the rollout took one of four old pods away, and the remaining three are overloaded.",
        "HighLatency",
        {
            "component": "search",
            "kind": "image_pull",
            "notes": "New ReplicaSet (revision 24) pods in ImagePullBackOff with Failed events 'manifest unknown'; "
            "3 of 4 old pods still serving. Red herrings: shipping deploy 48 min before, cart blip, payments "
            "readiness warning, old disk alert.",
        },
        alerts=alerts,
    )
