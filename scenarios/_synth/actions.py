"""Changes to a world that leave the Kubernetes events a real cluster would: rollouts, restarts, probes."""

from __future__ import annotations

from datetime import datetime, timedelta

from _gen.k8s import pod_ip
from _gen.model import Revision

from _synth import logs
from _synth.kube import event, image_of
from _synth.model import Pod, World


def bump(version: str, minor: bool = False) -> str:
    major, mi, patch = (int(x) for x in version.split("."))
    return f"{major}.{mi + 1}.0" if minor else f"{major}.{mi}.{patch + 1}"


def started_events(w: World, pod: Pod, at: datetime) -> None:
    fp = f"spec.containers{{{pod.service}}}"
    image = image_of(w, pod.svc, pod.revision.version if pod.revision else pod.svc.version)
    event(
        w,
        "Pod",
        pod.name,
        "Scheduled",
        f"Successfully assigned {w.ns}/{pod.name} to {pod.node}",
        at + timedelta(seconds=1),
        component="default-scheduler",
    )
    event(
        w,
        "Pod",
        pod.name,
        "Pulled",
        f'Container image "{image}" already present on machine',
        at + timedelta(seconds=3),
        host=pod.node,
        field_path=fp,
    )
    event(
        w,
        "Pod",
        pod.name,
        "Created",
        f"Created container {pod.service}",
        at + timedelta(seconds=3),
        host=pod.node,
        field_path=fp,
    )
    event(
        w,
        "Pod",
        pod.name,
        "Started",
        f"Started container {pod.service}",
        at + timedelta(seconds=4),
        host=pod.node,
        field_path=fp,
    )


def rollout(
    w: World,
    service: str,
    at: datetime,
    version: str,
    cause: str,
    *,
    env: dict[str, str] | None = None,
    status: str = "running",
    keep_old: int = 0,
    new_pods: int | None = None,
) -> Revision:
    """Roll ``service`` to a new ReplicaSet at ``at`` (new pods start, old ones end), with its events and logs."""
    old = w.current(service)
    svc = w.svc(service)
    rev = Revision(service, old.revision + 1, at, version, cause, env=dict(env if env is not None else old.env))
    rev.replicas = new_pods if new_pods is not None else svc.replicas
    old.replicas = keep_old
    w.revisions[service].append(rev)
    old_pods = [p for p in w.pods_of(service, alive_at=at) if p.revision is old]
    for i in range(rev.replicas):
        created = at + timedelta(seconds=2 + 25 * i)
        pod = w.add_pod(rev, created, status=status)
        event(
            w,
            "Deployment",
            service,
            "ScalingReplicaSet",
            f"Scaled up replica set {rev.name} to {i + 1}",
            created - timedelta(seconds=1),
            component="deployment-controller",
        )
        event(
            w,
            "ReplicaSet",
            rev.name,
            "SuccessfulCreate",
            f"Created pod: {pod.name}",
            created,
            component="replicaset-controller",
        )
        if status == "image_pull":
            image = image_of(w, svc, version)
            fp = f"spec.containers{{{service}}}"
            event(
                w,
                "Pod",
                pod.name,
                "Scheduled",
                f"Successfully assigned {w.ns}/{pod.name} to {pod.node}",
                created + timedelta(seconds=1),
                component="default-scheduler",
            )
            event(
                w,
                "Pod",
                pod.name,
                "Failed",
                f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull and unpack image '
                f'"{image}": failed to resolve reference "{image}": {image}: not found',
                created + timedelta(seconds=3),
                last=w.page_at - timedelta(seconds=40),
                count=6,
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
                created + timedelta(seconds=20),
                last=w.page_at - timedelta(seconds=15),
                count=18,
                type="Warning",
                host=pod.node,
                field_path=fp,
            )
        else:
            started_events(w, pod, created)
            logs.startup(w, pod, created + timedelta(seconds=5))
    for i, pod in enumerate(old_pods[keep_old:]):
        pod.ended = at + timedelta(seconds=30 + 25 * i)
        left = len(old_pods) - i - 1
        event(
            w,
            "Deployment",
            service,
            "ScalingReplicaSet",
            f"Scaled down replica set {old.name} to {left} from {left + 1}",
            pod.ended - timedelta(seconds=1),
            component="deployment-controller",
        )
        event(
            w,
            "Pod",
            pod.name,
            "Killing",
            f"Stopping container {service}",
            pod.ended,
            host=pod.node,
            field_path=f"spec.containers{{{service}}}",
        )
    return rev


def restart(w: World, pod: Pod, times: list[datetime], reason: str, exit_code: int) -> None:
    """Container restarts at ``times`` (each a termination with ``reason``), with the kubelet's events."""
    pod.restarts = sorted([*pod.restarts, *times])
    shown = [t for t in pod.restarts if t <= w.page_at]
    last = shown[-1] if shown else times[0]
    before = shown[-2] if len(shown) > 1 else pod.created + timedelta(seconds=4)
    pod.last_term = {"reason": reason, "exit_code": exit_code, "started": before, "finished": last}
    fp = f"spec.containers{{{pod.service}}}"
    image = image_of(w, pod.svc, pod.revision.version if pod.revision else pod.svc.version)
    event(
        w,
        "Pod",
        pod.name,
        "Pulled",
        f'Container image "{image}" already present on machine',
        times[0] + timedelta(seconds=1),
        last=last + timedelta(seconds=1),
        count=len(times),
        host=pod.node,
        field_path=fp,
    )
    event(
        w,
        "Pod",
        pod.name,
        "Started",
        f"Started container {pod.service}",
        times[0] + timedelta(seconds=2),
        last=last + timedelta(seconds=2),
        count=len(times),
        host=pod.node,
        field_path=fp,
    )


def backoff_times(start: datetime, until: datetime) -> list[datetime]:
    """Restart times of a crash-looping container: back-off doubling from 10 s to 5 min."""
    out, t, delay = [], start, 10.0
    while t < until:
        out.append(t)
        t += timedelta(seconds=delay + 8)
        delay = min(300.0, delay * 2)
    return out


def backoff_event(w: World, pod: Pod, first: datetime, count: int) -> None:
    event(
        w,
        "Pod",
        pod.name,
        "BackOff",
        f"Back-off restarting failed container {pod.service} in pod {pod.name}_{w.ns}",
        first,
        last=w.page_at - timedelta(seconds=9),
        count=count,
        type="Warning",
        host=pod.node,
        field_path=f"spec.containers{{{pod.service}}}",
    )


def probe_event(
    w: World, pod: Pod, probe: str, at: datetime, detail: str, *, count: int = 3, last: datetime | None = None
) -> None:
    path = "/ready" if probe == "Readiness" else "/healthz"
    event(
        w,
        "Pod",
        pod.name,
        "Unhealthy",
        f'{probe} probe failed: Get "http://{pod_ip(w.name + pod.name)}:{pod.svc.port}{path}": {detail}',
        at,
        last=last or at + timedelta(seconds=10 * count),
        count=count,
        type="Warning",
        host=pod.node,
        field_path=f"spec.containers{{{pod.service}}}",
    )
