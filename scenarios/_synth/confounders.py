"""Red herrings around the fault: chronic crash loops, unrelated deploys, noisy neighbours, node conditions,
benign ramps, resolved blips, readiness warnings elsewhere, and events stamped after the page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from _synth import logs
from _synth.actions import backoff_event, bump, probe_event, rollout
from _synth.alerts import alert
from _synth.fault import Fault
from _synth.kube import event
from _synth.model import World

Extra = list[dict[str, Any]]


def off_path(w: World, f: Fault) -> list[str]:
    """Apps that neither carry the symptom nor hold the cause: not on or below the paged path."""
    related = {f.cause, *f.chain, *w.topo.descendants(f.paged), *w.topo.callers(f.cause)}
    return [s.name for s in w.topo.apps() if s.name not in related]


def chronic_loop(w: World, f: Fault, target: str, alerts: Extra) -> str:
    pod = [p for p in w.pods_of(target) if p.status == "running"][0]
    oom = w.rng.random() < 0.5
    every = timedelta(minutes=w.rng.randrange(6, 14))
    t = w.start - every * 3 + timedelta(seconds=w.rng.randrange(0, 300))
    times = []
    while t < w.page_at + timedelta(minutes=30):
        times.append(t)
        t += every
    pod.prior_restarts = w.rng.randrange(150, 900)
    pod.restarts = times
    shown = [x for x in times if x <= w.page_at]
    pod.last_term = {
        "reason": "OOMKilled" if oom else "Error",
        "exit_code": 137 if oom else 2,
        "started": shown[-2],
        "finished": shown[-1],
    }
    pod.down = [(x - timedelta(seconds=5), x + timedelta(seconds=25)) for x in times]
    if oom:
        pod.mem_profile = "leak"
        pod.leak_period = every - timedelta(seconds=30)
        pod.leak_from = times[0] - pod.leak_period
    backoff_event(w, pod, w.page_at - timedelta(days=w.rng.randrange(2, 6)), pod.prior_restarts + len(shown))
    logs.startup(w, pod, shown[-1] + timedelta(seconds=2))
    alerts.append(
        alert(
            w,
            "KubePodCrashLooping",
            target,
            severity="warning",
            receiver="platform-slack",
            summary="Pod is crash looping.",
            description=f"Pod {w.ns}/{pod.name} ({target}) is in waiting state (reason: CrashLoopBackOff).",
            starts=w.page_at - timedelta(days=w.rng.randrange(2, 6), hours=3),
            expr='max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1',
        )
    )
    return f"{target} has been {'OOM-' if oom else 'crash-'}looping for days ({pod.prior_restarts}+ restarts)"


def unrelated_deploy(w: World, f: Fault, target: str, alerts: Extra) -> str:
    minutes = w.rng.uniform(5, 20)
    version = bump(w.current(target).version)
    rollout(w, target, w.ago(minutes), version, f"deploy {target} {version}")
    return f"{target} deployed {minutes:.0f} min before the page (off the paged path, healthy)"


def noisy_neighbour(w: World, f: Fault, target: str, alerts: Extra) -> str:
    start = w.ago(w.rng.uniform(8, 30))
    w.episode(target, start, ramp=60, end=start + timedelta(minutes=w.rng.uniform(4, 12)), cpu=2.2)
    return f"CPU spike on {target}"


def readiness_warning(w: World, f: Fault, target: str, alerts: Extra) -> str:
    pod = w.pods_of(target)[0]
    probe_event(
        w,
        pod,
        "Readiness",
        w.ago(w.rng.uniform(10, 40)),
        "context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
        count=2,
    )
    return f"a readiness warning on {target}"


def resolved_blip(w: World, f: Fault, target: str, alerts: Extra) -> str:
    start = w.ago(w.rng.uniform(25, 70))
    w.episode(target, start, ramp=30, end=start + timedelta(minutes=2), lat=2.5, err=0.03)
    return f"a resolved blip on {target}"


def benign_ramp(w: World, f: Fault, target: str, alerts: Extra) -> str:
    w.episode(w.topo.entry, w.ago(w.rng.uniform(40, 80)), ramp=1800, rps=1.25)
    return "a slow benign traffic ramp at the entry"


def node_condition(w: World, f: Fault, target: str, alerts: Extra) -> str:
    related = {f.cause, *f.chain, *w.topo.descendants(f.paged)}
    busy = {p.node for p in w.pods if p.service in related} | ({f.node} if f.node else set())
    free = [n for n in w.topo.nodes if n not in busy]
    if not free:
        return ""
    node = w.rng.choice(free)
    ctype = w.rng.choice(("DiskPressure", "MemoryPressure"))
    since = w.ago(w.rng.uniform(15, 50))
    reason = "KubeletHasDiskPressure" if ctype == "DiskPressure" else "KubeletHasInsufficientMemory"
    w.node_conditions[node] = {ctype: ("True", reason, f"kubelet has {ctype[:-8].lower()} pressure", since)}
    event(
        w,
        "Node",
        node,
        f"NodeHas{ctype}",
        f"Node {node} status is now: NodeHas{ctype}",
        since,
        component="kubelet",
        host=node,
    )
    return f"{ctype} on node {node} (only off-path pods)"


def after_page(w: World, f: Fault, target: str, alerts: Extra) -> str:
    pod = w.pods_of(f.cause)[0] if w.pods_of(f.cause) else w.pods_of(target)[0]
    at = w.page_at + timedelta(minutes=w.rng.uniform(1, 180))
    reason, msg, kind = w.rng.choice(
        (
            ("OOMKilling", "Memory cgroup out of memory: Killed process 4242", "Node"),
            ("BackOff", f"Back-off restarting failed container {pod.service}", "Pod"),
            ("ScalingReplicaSet", f"Scaled up replica set {pod.service} to 5", "Deployment"),
        )
    )
    name = {"Node": pod.node or w.topo.nodes[0], "Pod": pod.name, "Deployment": pod.service}[kind]
    event(w, kind, name, reason, msg, at, type="Warning" if reason != "ScalingReplicaSet" else "Normal")
    if not pod.svc.is_store and w.rng.random() < 0.5:
        w.add_pod(w.current(pod.service), at + timedelta(seconds=30))
    return "events (and maybe a pod) stamped after the page"


def old_alert(w: World, f: Fault, target: str, alerts: Extra) -> str:
    store = w.rng.choice(w.topo.stores())
    if store.name == f.cause:
        return ""
    alerts.append(
        alert(
            w,
            "KubePersistentVolumeFillingUp",
            store.name,
            severity="warning",
            receiver="platform-slack",
            summary="PersistentVolume is filling up.",
            description=f"The PersistentVolume claimed by data-{store.name}-0 is only 13.1% free.",
            starts=w.page_at - timedelta(hours=w.rng.uniform(20, 50)),
            expr="kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes < 0.15",
        )
    )
    return f"a day-old disk warning on {store.name}"


KINDS: dict[str, Callable[[World, Fault, str, Extra], str]] = {
    "chronic_loop": chronic_loop,
    "unrelated_deploy": unrelated_deploy,
    "noisy_neighbour": noisy_neighbour,
    "readiness_warning": readiness_warning,
    "resolved_blip": resolved_blip,
    "benign_ramp": benign_ramp,
    "node_condition": node_condition,
    "after_page": after_page,
    "old_alert": old_alert,
}


def add(w: World, f: Fault, alerts: Extra) -> list[str]:
    """0-3 random confounders (on off-path services where one is needed); their one-line notes."""
    notes = []
    pool = off_path(w, f)
    for name in w.rng.sample(sorted(KINDS), w.rng.randrange(0, 4)):
        if name == "benign_ramp" and f.kind == "traffic_surge":
            continue
        candidates = [s for s in pool if any(p.status == "running" for p in w.pods_of(s))]
        if not candidates and name not in ("benign_ramp", "node_condition", "after_page", "old_alert"):
            continue
        target = w.rng.choice(candidates) if candidates else f.cause
        if name in ("chronic_loop", "unrelated_deploy"):
            pool = [s for s in pool if s != target]
        note = KINDS[name](w, f, target, alerts)
        if note:
            notes.append(note)
    return notes
