"""Scenario inventory-unschedulable (see scenarios/README.md)."""

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
from _gen.kevents import event, hpa
from _gen.render import Bundle


def inventory_unschedulable() -> Bundle:
    w = setup("inventory-unschedulable", datetime(2025, 10, 21, 7, 51, tzinfo=UTC))
    harmless_deploy(w, "cart", 50, "bump jackson to 2.18.1")
    blip(w, "recommendations", 40, lat=2.2, err=0.004)
    probe_warning(w, "shipping", 27, kind="Liveness")
    w.episode("inventory", ago(w, 16), ramp=600, rps=1.75)
    rev = w.current("inventory")
    w.unschedulable_message = (
        "0/6 nodes are available: 6 Insufficient memory. preemption: 0/6 nodes are "
        "available: 6 No preemption victims found for incoming pod."
    )
    w.desired["inventory"] = 6
    steps = [(ago(w, 5.1), 5, 3), (ago(w, 3.2), 6, 5)]
    pending = []
    for at, new_size, old_size in steps:
        event(
            w,
            "HorizontalPodAutoscaler",
            "inventory",
            "SuccessfulRescale",
            f"New size: {new_size}; reason: cpu resource utilization (percentage of request) above target",
            at,
            component="horizontal-pod-autoscaler",
            api_version="autoscaling/v2",
        )
        event(
            w,
            "Deployment",
            "inventory",
            "ScalingReplicaSet",
            f"Scaled up replica set {rev.name} to {new_size} from {old_size}",
            at + timedelta(seconds=1),
            component="deployment-controller",
            api_version="apps/v1",
        )
        for i in range(new_size - old_size):
            pod = w.add_pod(rev, at + timedelta(seconds=1 + i), status="unschedulable")
            pending.append(pod)
            event(
                w,
                "ReplicaSet",
                rev.name,
                "SuccessfulCreate",
                f"Created pod: {pod.name}",
                pod.created,
                component="replicaset-controller",
                api_version="apps/v1",
            )
            event(
                w,
                "Pod",
                pod.name,
                "FailedScheduling",
                w.unschedulable_message,
                pod.created,
                last=ago(w, 0.4),
                count=int((w.page_at - pod.created).total_seconds() // 30) + 1,
                type="Warning",
                component="default-scheduler",
            )
            event(
                w,
                "Pod",
                pod.name,
                "NotTriggerScaleUp",
                "pod didn't trigger scale-up: 1 max node group size reached",
                pod.created + timedelta(seconds=9),
                last=ago(w, 0.5),
                count=3,
                component="cluster-autoscaler",
            )
    rev.replicas = 6
    event(
        w,
        "Pod",
        pending[-1].name,
        "NotTriggerScaleUp",
        "pod didn't trigger scale-up: 1 max node group size reached",
        w.page_at + timedelta(minutes=2),
        count=1,
        component="cluster-autoscaler",
    )
    hpa(w, "inventory", 3, 6, 6, 6, 134, last_scale=steps[-1][0])
    w.episode("inventory", ago(w, 3.6), ramp=90, lat=3.2, sigma_add=0.35, err=0.015)
    w.propagate("inventory", ago(w, 3.6), lat_add=0.06, err=0.015)
    for pod in w.pods_of("inventory")[:3]:
        logs.background(w, pod, minutes=15, every=5)
    slow = w.pods_of("inventory")[0]
    t = ago(w, 3.3)
    while t < w.page_at:
        logs.log(
            w,
            slow,
            t,
            logs.go(
                t,
                "warn",
                "slow request",
                path="/v1/reservations",
                duration_ms=w.rng.randrange(180, 900),
                inflight=w.rng.randrange(60, 140),
            ),
        )
        t += timedelta(seconds=5 + w.rng.random() * 10)
    finish(w)
    alerts = [
        latency_alert(w, "inventory", 0.41, w.page_at, threshold=0.25),
        am_alert(
            w.page_at,
            "KubeHpaReplicasMismatch",
            "inventory",
            severity="warning",
            receiver="fulfilment-slack",
            summary="HPA has not matched desired number of replicas.",
            description="HPA shop/inventory has not matched the desired number of replicas for longer than 15 minutes.",
            starts=ago(w, 2.5),
            extra={"horizontalpodautoscaler": "inventory"},
            expr="kube_horizontalpodautoscaler_status_desired_replicas != "
            "kube_horizontalpodautoscaler_status_current_replicas",
            runbook="https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubehpareplicasmismatch",
        ),
        old_alert(
            w,
            "KubeJobFailed",
            "catalog",
            "Job shop/catalog-export-29011860 failed to complete.",
            7,
            'kube_job_failed{job_name=~"catalog-export.*"} > 0',
            {"job_name": "catalog-export-29011860"},
        ),
    ]
    return Bundle(
        w,
        "Morning restock traffic pushed inventory's CPU up; the HPA asked for 6 replicas, but the three new "
        "pods cannot be placed (no node has the memory they request) and the cluster autoscaler is at its "
        "maximum, so three overloaded pods keep serving and latency climbs.",
        "HighLatency",
        {
            "component": "inventory",
            "kind": "unschedulable",
            "notes": "Pods Pending with PodScheduled=False/Unschedulable and FailedScheduling '0/6 nodes are "
            "available: 6 Insufficient memory'; HPA desired 6, 3 ready. No deploy of inventory. Red herrings: "
            "cart deploy 50 min before, recommendations blip, shipping liveness warning, a failed catalog "
            "export job. A NotTriggerScaleUp event 2 min after the page is never served.",
        },
        alerts=alerts,
    )
