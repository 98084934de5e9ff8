"""Scenario search-node-failure (see scenarios/README.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

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
from _gen.kevents import event, pod_started_events
from _gen.model import Pod, World
from _gen.patches import on, set_condition, steady_deployment
from _gen.render import Bundle
from _gen.world import NAMESPACE, NODES, ts

GRACE = timedelta(seconds=40)
"""node-monitor-grace-period: how long the node controller waits for the kubelet's lease."""
TOLERATION = timedelta(seconds=300)
"""The default tolerationSeconds for node.kubernetes.io/unreachable."""


def _node_patch(w: World, node: str, last_heartbeat: datetime, notready: datetime) -> None:
    def fix(obj: dict[str, Any]) -> None:
        for cond in obj["status"]["conditions"]:
            cond["lastHeartbeatTime"] = ts(last_heartbeat)
        obj["spec"]["taints"] = [
            {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule", "timeAdded": ts(notready)},
            {
                "key": "node.kubernetes.io/unreachable",
                "effect": "NoExecute",
                "timeAdded": ts(notready + timedelta(seconds=1)),
            },
        ]

    on(w, "Node", node, fix)


def _terminating(w: World, pod: Pod, notready: datetime, evicted: datetime) -> None:
    """What the node controller and taint manager leave on a pod whose kubelet is gone."""
    started = pod.created + timedelta(seconds=4)

    def fix(obj: dict[str, Any]) -> None:
        obj["metadata"]["deletionTimestamp"] = ts(evicted + timedelta(seconds=30))
        obj["metadata"]["deletionGracePeriodSeconds"] = 30
        conds = obj["status"]["conditions"]
        set_condition(conds, "Ready", "False", notready + timedelta(seconds=1))
        set_condition(conds, "ContainersReady", "True", started + timedelta(seconds=12))
        conds.append(
            {
                "type": "DisruptionTarget",
                "status": "True",
                "lastProbeTime": None,
                "lastTransitionTime": ts(evicted),
                "reason": "DeletionByTaintManager",
                "message": "Taint manager: deleting due to NoExecute taint",
            }
        )
        obj["status"]["containerStatuses"][0]["ready"] = True

    on(w, "Pod", pod.name, fix)


def _counts(w: World, service: str, ready: int, replicas: int) -> None:
    def rs(obj: dict[str, Any]) -> None:
        st = obj["status"]
        st.update(replicas=replicas, fullyLabeledReplicas=replicas, readyReplicas=ready, availableReplicas=ready)

    def deploy(obj: dict[str, Any]) -> None:
        st = obj["status"]
        st.update(replicas=replicas, updatedReplicas=replicas, readyReplicas=ready, availableReplicas=ready)
        st.pop("unavailableReplicas", None)
        if replicas > ready:
            st["unavailableReplicas"] = replicas - ready

    on(w, "ReplicaSet", w.current(service).name, rs)
    on(w, "Deployment", service, deploy)


def search_node_failure() -> Bundle:
    w = setup("search-node-failure", datetime(2025, 12, 16, 3, 41, tzinfo=UTC))
    harmless_deploy(w, "cart", 49, "cart merge on login")
    fresh = {p.node for p in w.pods if p.created > ago(w, 60)}
    bad = next(n for n in (NODES[3], NODES[1], NODES[4], NODES[0]) if n not in fresh)
    others = [n for n in NODES if n != bad]
    victims = [*w.pods_of("search")[:2], w.pods_of("recommendations")[0]]
    moved = 0
    for pod in w.pods:
        if pod in victims:
            pod.node = bad
        elif pod.node == bad and pod.ended is None:
            pod.node = others[moved % len(others)]
            moved += 1
    blip(w, "payments", 42, lat=2.4, err=0.01)
    probe_warning(w, "inventory", 26)
    dead = ago(w, 7.5)
    notready = dead + GRACE
    evicted = notready + TOLERATION + timedelta(seconds=1)
    w.node_overrides[bad] = {
        ctype: ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.", notready)
        for ctype in ("MemoryPressure", "DiskPressure", "PIDPressure", "Ready")
    }
    _node_patch(w, bad, dead - timedelta(seconds=97), notready)
    event(
        w,
        "Node",
        bad,
        "TaskHung",
        "kernel: INFO: task jbd2/nvme0n1p1-8:381 blocked for more than 120 seconds.",
        dead - timedelta(seconds=52),
        type="Warning",
        component="kernel-monitor",
        host=bad,
    )
    event(
        w,
        "Node",
        bad,
        "NodeNotReady",
        f"Node {bad} status is now: NodeNotReady",
        notready,
        component="node-controller",
    )
    replacements = []
    for i, pod in enumerate(victims):
        pod.down = [(dead, w.page_at + timedelta(hours=1))]
        pod.scrape_until = dead + timedelta(seconds=5)
        _terminating(w, pod, notready, evicted)
        event(
            w,
            "Pod",
            pod.name,
            "NodeNotReady",
            "Node is not ready",
            notready + timedelta(seconds=1),
            type="Warning",
            component="node-controller",
        )
        event(
            w,
            "Pod",
            pod.name,
            "TaintManagerEviction",
            f"Marking for deletion Pod {NAMESPACE}/{pod.name}",
            evicted,
            component="taint-eviction-controller",
        )
        assert pod.revision is not None
        new = w.add_pod(pod.revision, evicted + timedelta(seconds=1 + i), node=others[(2 * i + 1) % len(others)])
        warm = timedelta(minutes=6) if pod.service == "search" else timedelta(seconds=48)
        new.down = [(new.created, new.created + warm)]
        replacements.append(new)
        event(
            w,
            "ReplicaSet",
            pod.revision.name,
            "SuccessfulCreate",
            f"Created pod: {new.name}",
            new.created,
            component="replicaset-controller",
            api_version="apps/v1",
        )
        pod_started_events(w, new, f"{new.svc.image}")
        logs.startup(w, new, new.created + timedelta(seconds=5))
        if pod.service == "search":
            first = new.created + timedelta(seconds=8)
            event(
                w,
                "Pod",
                new.name,
                "Unhealthy",
                "Readiness probe failed: HTTP probe failed with statuscode: 503",
                first,
                last=ago(w, 0.05),
                count=int((w.page_at - first).total_seconds() // 5),
                type="Warning",
                host=new.node,
                field_path="spec.containers{search}",
            )
            t = new.created + timedelta(seconds=9)
            for shard in range(1, 4):
                logs.log(
                    w,
                    new,
                    t,
                    logs.python(
                        t,
                        "INFO",
                        "search.index",
                        f"loading index shard {shard}/4 (products-2025.12.15, {w.rng.randrange(410, 460)} MB) from s3",
                    ),
                )
                t += timedelta(seconds=26 + w.rng.random() * 8)
    _counts(w, "search", 2, 4)
    _counts(w, "recommendations", 3, 3)
    steady_deployment(w, "search", notready + timedelta(seconds=1))
    steady_deployment(w, "recommendations", None)
    w.error_codes["search"] = {"500": 0.3, "503": 0.7}
    w.episode("search", dead + timedelta(seconds=5), ramp=40, lat=3.4, sigma_add=0.35, err=0.05)
    w.propagate("search", dead + timedelta(seconds=5), lat_add=0.15, err=0.05)
    w.episode("recommendations", dead + timedelta(seconds=5), ramp=40, lat=1.35, end=evicted + timedelta(seconds=60))
    w.episode(
        "frontend", dead + timedelta(seconds=2), ramp=5, end=notready + timedelta(seconds=6), err=0.09, lat_add=0.3
    )
    for pod in w.pods_of("search")[2:4]:
        logs.background(w, pod, minutes=15, every=5)
        t = dead + timedelta(seconds=25)
        while t < w.page_at:
            logs.log(
                w,
                pod,
                t,
                logs.python(
                    t,
                    "WARNING",
                    "search.api",
                    f"request queue depth {w.rng.randrange(40, 95)} exceeds 32, worker pool saturated (8/8)",
                ),
            )
            t += timedelta(seconds=8 + w.rng.random() * 12)
    logs.background(w, w.pods_of("recommendations")[1], minutes=15, every=4)
    front = w.pods_of("frontend")[3]
    logs.background(w, front, minutes=15, every=5)
    t = dead + timedelta(seconds=3)
    while t < w.page_at:
        if t < notready + timedelta(seconds=5):
            line = logs.go(
                t,
                "error",
                "upstream error",
                upstream=w.rng.choice(["search", "recommendations"]),
                error="context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
                path="/api/search",
                status=504,
            )
            step = 1 + w.rng.random() * 2
        else:
            line = logs.go(
                t,
                "warn",
                "slow upstream",
                upstream="search",
                path="/api/search",
                duration_ms=w.rng.randrange(600, 2400),
            )
            step = 6 + w.rng.random() * 8
        logs.log(w, front, t, line)
        t += timedelta(seconds=step)
    event(
        w,
        "Node",
        bad,
        "NodeReady",
        f"Node {bad} status is now: NodeReady",
        w.page_at + timedelta(minutes=5),
        component="node-controller",
    )
    finish(w)
    alerts = [
        latency_alert(w, "search", 1.47, w.page_at),
        latency_alert(w, "frontend", 0.61, ago(w, 1), severity="warning", receiver="web-slack", threshold=0.5),
        disk_alert(w, "shop-db", hours=33),
    ]
    return Bundle(
        w,
        f"At 03:33:30 node {bad} hung (kernel task blocked on its root volume) and stopped answering. "
        "Two of search's four pods and one recommendations pod ran there. The node controller marked it "
        "NotReady 40 s later and, after the 5-minute unreachable toleration, the taint manager evicted the "
        "pods; they stay Terminating because the kubelet is gone. The replacement search pods are still "
        "loading their index, so two search pods carry the night traffic and latency is up.",
        "HighLatency",
        {
            "component": "search",
            "kind": "node_failure",
            "notes": f"Node {bad}: Ready=Unknown (NodeStatusUnknown, 'Kubelet stopped posting node status.'), "
            "unreachable taints, NodeNotReady and TaintManagerEviction events; search pods on it Ready=False "
            "with DisruptionTarget, their metrics end at 03:33:35. Replacement search pods fail readiness (503) "
            "while loading the index: a consequence, not the cause. Red herrings: cart deploy 49 min before, "
            "payments blip, inventory readiness warning, old disk alert. A NodeReady event 5 min after the "
            "page is never served.",
        },
        alerts=alerts,
    )
