"""Faults inside one service: releases, config, crashes, memory, images, scheduling, probes, CPU, load, bugs."""

from __future__ import annotations

from datetime import timedelta

from _gen.world import ts

from _synth import logs
from _synth.actions import backoff_event, backoff_times, bump, probe_event, restart, rollout
from _synth.fault import Fault, spread
from _synth.kube import default_config, event
from _synth.model import World

EXCEPTIONS = {
    "go": ("panic: runtime error: invalid memory address or nil pointer dereference", "handler panicked"),
    "java": (
        'java.lang.NullPointerException: Cannot invoke "String.length()" because "value" is null',
        "Request processing failed",
    ),
    "python": ("KeyError: 'currency'", "Exception in ASGI application"),
    "node": ("TypeError: Cannot read properties of undefined (reading 'id')", "unhandled error in request"),
}


def _exceptions(w: World, service: str, since: object, *, every: float = 15.0, new_only: object = None) -> None:
    for pod in w.pods_of(service):
        if pod.status != "running" or (new_only is not None and pod.revision is not new_only):
            continue
        exc, msg = EXCEPTIONS[pod.svc.lang]
        t = max(since, pod.created + timedelta(seconds=20))  # type: ignore[call-overload]
        while t < w.page_at:
            logs.log(w, pod, t, logs.line(pod, t, "ERROR", f"{msg}: {exc}", "web", status=500))
            t += timedelta(seconds=every * (0.6 + 0.8 * w.rng.random()))


def deploy_regression(w: World, f: Fault) -> None:
    svc = w.svc(f.cause)
    version = bump(w.current(f.cause).version, minor=w.rng.random() < 0.4)
    at = f.onset - timedelta(seconds=w.rng.randrange(40, 150))
    readiness = w.rng.random() < 0.3 and svc.replicas >= 2
    rev = rollout(
        w,
        f.cause,
        at,
        version,
        f"deploy {f.cause} {version} (pipeline #{w.rng.randrange(2000, 9999)})",
        keep_old=1 if readiness else 0,
    )
    if readiness:
        for pod in w.pods_of(f.cause):
            if pod.revision is rev:
                pod.down = [(pod.created + timedelta(seconds=20), w.page_at + timedelta(hours=1))]
                probe_event(
                    w,
                    pod,
                    "Readiness",
                    pod.created + timedelta(seconds=25),
                    "HTTP probe failed with statuscode: 500",
                    count=int((w.page_at - pod.created).total_seconds() // 5),
                    last=w.page_at - timedelta(seconds=3),
                )
        f.notes = "new pods never become ready (readiness 500); the remaining old pod carries the load. "
    _exceptions(w, f.cause, f.onset, new_only=rev)
    spread(w, f)
    f.description = (
        f"{f.cause} {version} rolled out at {ts(at)}; requests fail in the new pods from about {ts(f.onset)}."
    )
    f.notes += "Errors begin shortly after the new ReplicaSet; nothing else changed on the path."


def config_change(w: World, f: Fault) -> None:
    svc = w.svc(f.cause)
    key = w.rng.choice(
        (
            "FEATURE_NEW_PRICING",
            "CACHE_TTL_SECONDS",
            "UPSTREAM_TIMEOUT_MS",
            "RATE_LIMIT_RPS",
            "AUTH_AUDIENCE",
            "DB_POOL_SIZE",
        )
    )
    bad = {"UPSTREAM_TIMEOUT_MS": "20", "CACHE_TTL_SECONDS": "0", "RATE_LIMIT_RPS": "5", "DB_POOL_SIZE": "1"}.get(
        key, "true"
    )
    at = f.onset - timedelta(seconds=w.rng.randrange(45, 120))
    name = f"{f.cause}-config"
    if w.rng.random() < 0.5:
        data = default_config(w, svc)
        applied = dict(data)
        data[key] = bad
        manager = w.rng.choice(("kubectl-edit", "kubectl-patch"))
        w.configmaps[name] = {"data": data, "applied": applied, "edits": [(manager, at, [key])]}
        for pod in w.pods_of(f.cause):
            t = at + timedelta(seconds=w.rng.randrange(20, 60))
            logs.log(
                w,
                pod,
                t,
                logs.line(pod, t, "INFO", f"configuration reloaded from /etc/{f.cause}/config", "config", changed=key),
            )
        how = f"ConfigMap {name} edited ({manager}) at {ts(at)}: {key}={bad}"
    else:
        env = {**w.current(f.cause).env, key: bad}
        version = w.current(f.cause).version
        cause = f"kubectl set env deployment/{f.cause} {key}={bad}"
        rev = rollout(w, f.cause, at, version, cause, env=env)
        rev.restarted_at = None
        how = f"environment change rolled out at {ts(at)} (same image): {key}={bad}"
        if w.rng.random() < 0.4:
            for pod in w.pods_of(f.cause):
                if pod.revision is rev:
                    kill = f.onset + timedelta(seconds=w.rng.randrange(30, 120))
                    restart(w, pod, [kill], "Error", 1)
                    pod.down = [(kill - timedelta(seconds=5), kill + timedelta(seconds=25))]
                    logs.log(
                        w,
                        pod,
                        kill - timedelta(seconds=2),
                        logs.line(pod, kill - timedelta(seconds=2), "ERROR", f"fatal: invalid {key}={bad}", "main"),
                        previous=True,
                    )
                    logs.startup(w, pod, kill + timedelta(seconds=3))
            f.also_accept = ["crashloop"]
    _exceptions(w, f.cause, f.onset, every=25)
    spread(w, f)
    f.description = f"{how}; errors on {f.cause} follow."
    f.notes = "No new image; the only change before onset is the configuration of the cause."


def crashloop(w: World, f: Fault) -> None:
    pods = [p for p in w.pods_of(f.cause) if p.status == "running"]
    reason = w.rng.choice(
        (
            "FATAL: schema migration lock held by another instance; refusing to start",
            "fatal: cannot read /var/run/secrets/app/signing-key: no such file or directory",
            "Error: license check failed at boot: entitlement service answered 410",
            "panic: failed to warm cache: decode snapshot: unexpected EOF",
        )
    )
    for pod in pods[: max(1, len(pods) - 1)] if f.cause == f.paged else pods:
        start = f.onset + timedelta(seconds=w.rng.randrange(0, 40))
        times = backoff_times(start, w.page_at + timedelta(minutes=5))
        restart(w, pod, times, "Error", 1)
        pod.status = "crashloop"
        backoff_event(w, pod, start + timedelta(seconds=15), len([t for t in times if t <= w.page_at]) * 3)
        last = [t for t in times if t <= w.page_at][-1]
        logs.startup(w, pod, last - timedelta(seconds=8), previous=True)
        logs.log(
            w,
            pod,
            last - timedelta(seconds=3),
            logs.line(pod, last - timedelta(seconds=3), "ERROR", reason, "main"),
            previous=True,
        )
        logs.startup(w, pod, last + timedelta(seconds=1))
    f.mode = "refused"
    spread(w, f)
    f.description = f"{f.cause}'s containers exit at start ({reason.split(':')[0]}) and back off from {ts(f.onset)}."
    f.notes = "Exit code 1 at start, CrashLoopBackOff; no rollout or config edit before it."


def oom(w: World, f: Fault) -> None:
    pods = [p for p in w.pods_of(f.cause) if p.status == "running"]
    for i, pod in enumerate(pods):
        kill = f.onset + timedelta(seconds=30 + 70 * i)
        pod.mem_profile = "leak"
        pod.leak_period = timedelta(minutes=w.rng.randrange(50, 120))
        pod.leak_from = kill - pod.leak_period
        if kill > w.page_at:
            event(
                w,
                "Pod",
                pod.name,
                "Killing",
                f"Container {pod.service} exceeded its memory limit",
                kill,
                type="Warning",
                host=pod.node,
            )
            continue
        restart(w, pod, [kill], "OOMKilled", 137)
        pod.down = [(kill - timedelta(seconds=20), kill + timedelta(seconds=30))]
        event(
            w,
            "Node",
            pod.node or "",
            "OOMKilling",
            f"Memory cgroup out of memory: Killed process {w.rng.randrange(2000, 30000)} ({pod.svc.lang})",
            kill,
            type="Warning",
            component="kernel-monitor",
            host=pod.node,
        )
        logs.background(w, pod, until=kill - timedelta(seconds=3), count=6, previous=True)
        warn = kill - timedelta(seconds=60)
        logs.log(w, pod, warn, logs.line(pod, warn, "WARN", "heap usage above 90% of limit", "memory"), previous=True)
        logs.startup(w, pod, kill + timedelta(seconds=3))
    spread(w, f, lat=1.8, sigma_add=0.2)
    f.description = f"{f.cause}'s memory climbs to its limit; containers are OOMKilled (exit 137) from {ts(f.onset)}."
    f.notes = "lastState OOMKilled on the cause's pods, working set at the limit; no deploy."


def image_pull(w: World, f: Fault) -> None:
    svc = w.svc(f.cause)
    version = bump(w.current(f.cause).version)
    at = f.onset - timedelta(seconds=w.rng.randrange(20, 60))
    rollout(
        w,
        f.cause,
        at,
        version,
        f"deploy {f.cause} {version}",
        status="image_pull",
        keep_old=max(1, svc.replicas - 1),
        new_pods=max(1, svc.replicas // 2 + 1),
    )
    remaining = len([p for p in w.pods_of(f.cause) if p.status == "running"])
    w.episode(f.cause, f.onset, ramp=120, lat=1.0 + svc.replicas / max(remaining, 1))
    spread(w, f, ramp=120)
    f.description = (
        f"{f.cause} rolled to {version}, a tag that was never pushed: new pods stay in ImagePullBackOff; "
        "the remaining old pods carry all traffic."
    )
    f.notes = "ErrImagePull/ImagePullBackOff (not found) on the new ReplicaSet's pods."


def unschedulable(w: World, f: Fault) -> None:
    svc = w.svc(f.cause)
    extra = w.rng.randrange(2, 4)
    w.desired[f.cause] = svc.replicas + extra
    n = len(w.topo.nodes)
    res = w.rng.choice(("memory", "cpu"))
    w.unschedulable_message = (
        f"0/{n} nodes are available: {n} Insufficient {res}. preemption: 0/{n} nodes are "
        f"available: {n} No preemption victims found for incoming pod."
    )
    rev = w.current(f.cause)
    rev.replicas = svc.replicas + extra
    for i in range(extra):
        pod = w.add_pod(rev, f.onset - timedelta(seconds=60 - 5 * i), status="unschedulable", node="")
        pod.node = None
        event(
            w,
            "Pod",
            pod.name,
            "FailedScheduling",
            w.unschedulable_message,
            pod.created + timedelta(seconds=1),
            last=w.page_at - timedelta(seconds=20),
            count=w.rng.randrange(5, 20),
            type="Warning",
            component="default-scheduler",
        )
        event(
            w,
            "ReplicaSet",
            rev.name,
            "SuccessfulCreate",
            f"Created pod: {pod.name}",
            pod.created,
            component="replicaset-controller",
        )
    event(
        w,
        "Deployment",
        f.cause,
        "ScalingReplicaSet",
        f"Scaled up replica set {rev.name} to {svc.replicas + extra} from {svc.replicas}",
        f.onset - timedelta(seconds=61),
        component="deployment-controller",
    )
    event(
        w,
        "Pod",
        f"cluster-autoscaler-{w.rng.randrange(100, 999)}",
        "NotTriggerScaleUp",
        "pod didn't trigger scale-up: 1 max node group size reached",
        f.onset,
        count=4,
        component="cluster-autoscaler",
    )
    w.episode(f.cause, f.onset - timedelta(minutes=10), ramp=600, rps=1.35, cpu=1.3)
    spread(w, f, lat=1.6, ramp=120)
    f.description = (
        f"{f.cause} needs more replicas (desired {svc.replicas + extra}) but the new pods stay Pending: "
        f"no node has enough {res}; the running pods are overloaded."
    )
    f.notes = "FailedScheduling on the cause's new pods; load only moderately above normal."


def probe_failure(w: World, f: Fault) -> None:
    pods = [p for p in w.pods_of(f.cause) if p.status == "running"]
    if w.rng.random() < 0.5:
        for pod in pods:
            kills = []
            t = f.onset + timedelta(seconds=w.rng.randrange(0, 60))
            while t < w.page_at + timedelta(minutes=3):
                kills.append(t)
                t += timedelta(seconds=w.rng.randrange(70, 130))
            restart(w, pod, kills, "Error", 143)
            pod.down = [(k - timedelta(seconds=30), k + timedelta(seconds=20)) for k in kills]
            probe_event(
                w,
                pod,
                "Liveness",
                kills[0] - timedelta(seconds=30),
                "context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
                count=3 * len(kills),
                last=min(kills[-1], w.page_at),
            )
            event(
                w,
                "Pod",
                pod.name,
                "Killing",
                f"Container {pod.service} failed liveness probe, will be restarted",
                kills[0],
                last=min(kills[-1], w.page_at),
                count=len(kills),
                host=pod.node,
                field_path=f"spec.containers{{{pod.service}}}",
            )
            logs.startup(w, pod, [k for k in kills if k <= w.page_at][-1] + timedelta(seconds=3))
        f.description = (
            f"{f.cause}'s /healthz stops answering within 1s; the kubelet kills its containers every "
            "one to two minutes."
        )
        f.notes = "Liveness probe failures and kills (exit 143); no change before onset."
    else:
        check = w.rng.choice(w.svc(f.cause).deps) if w.svc(f.cause).deps else "upstream"
        for i, pod in enumerate(pods):
            leave = f.onset + timedelta(seconds=40 * i)
            pod.down = [(leave, w.page_at + timedelta(hours=1))]
            probe_event(
                w,
                pod,
                "Readiness",
                leave,
                "HTTP probe failed with statuscode: 503",
                count=int((w.page_at - leave).total_seconds() // 5) + 1,
                last=w.page_at - timedelta(seconds=2),
            )
            t = leave
            while t < w.page_at:
                logs.log(
                    w,
                    pod,
                    t,
                    logs.line(
                        pod,
                        t,
                        "WARN",
                        f"readiness: dependency check '{check}' failed: check took 1500ms (> 1000ms budget)",
                        "health",
                    ),
                )
                t += timedelta(seconds=30)
        f.mode = "refused"
        f.description = (
            f"{f.cause}'s readiness check includes a slow dependency check; every pod leaves the "
            "Service although it could serve."
        )
        f.notes = "Readiness 503, Running with 0 restarts and Ready=False; callers get connection refused."
    spread(w, f)


def resource_saturation(w: World, f: Fault) -> None:
    svc = w.svc(f.cause)
    factor = svc.cpu_limit * w.rng.uniform(1.6, 2.6) / svc.cpu
    w.episode(f.cause, f.onset - timedelta(seconds=60), ramp=180, cpu=factor)
    for pod in w.pods_of(f.cause)[:2]:
        t = f.onset
        while t < w.page_at:
            logs.log(
                w,
                pod,
                t,
                logs.line(pod, t, "WARN", "slow request", "web", duration_ms=round(800 + 1500 * w.rng.random())),
            )
            t += timedelta(seconds=25)
    spread(w, f, sigma_add=0.15)
    f.description = (
        f"{f.cause}'s CPU demand rises well past its limit from {ts(f.onset)}: pods pinned at their "
        f"{svc.cpu_limit:g}-core limit and throttled; requests queue."
    )
    f.notes = "CPU at the limit with heavy CFS throttling; no deploy, traffic normal."


def traffic_surge(w: World, f: Fault) -> None:
    factor = w.rng.uniform(2.5, 4.0)
    svc = w.svc(f.cause)
    w.episode(f.cause, f.onset - timedelta(seconds=90), ramp=180, rps=factor, cpu=1.0)
    todo = [(d, factor) for d in svc.deps]
    seen: set[str] = set()
    while todo:
        d, fac = todo.pop()
        if d in seen:
            continue
        seen.add(d)
        fac_d = 1 + (fac - 1) * w.topo.share[(f.cause, d)] if (f.cause, d) in w.topo.share else 1 + (fac - 1) * 0.5
        if fac_d > 1.1:
            w.episode(d, f.onset - timedelta(seconds=80), ramp=180, rps=fac_d)
            todo.extend((dd, fac_d) for dd in w.svc(d).deps)
    for pod in w.pods_of(f.cause)[:2]:
        t = f.onset
        while t < w.page_at:
            logs.log(
                w,
                pod,
                t,
                logs.line(
                    pod,
                    t,
                    "WARN",
                    "shedding load: concurrency limit reached",
                    "limiter",
                    inflight=w.rng.randrange(200, 512),
                ),
            )
            t += timedelta(seconds=30)
    spread(w, f)
    f.description = (
        f"Requests to {f.cause} rise {factor:.1f}x within minutes (a campaign); its pods run out of CPU and shed load."
    )
    f.notes = "Request rate several times normal at the cause, CPU saturated as a consequence; no change."


def code_error(w: World, f: Fault) -> None:
    _exceptions(w, f.cause, f.onset, every=12)
    spread(w, f)
    f.description = (
        f"A share of {f.cause}'s requests hit an unhandled exception from {ts(f.onset)} (bad input "
        "data); no deploy, config or infrastructure change."
    )
    f.notes = "Exceptions in the cause's own logs; no change event, infrastructure healthy."
