"""Building blocks shared by the scenarios: the healthy baseline and the usual red herrings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from _gen import logs
from _gen.alerts import am_alert
from _gen.k8s import pod_ip
from _gen.kevents import default_configmaps, event, hpa, rollout
from _gen.model import Pod, World
from _gen.world import SERVICES


def ago(w: World, minutes: float) -> datetime:
    return w.page_at - timedelta(seconds=round(minutes * 60))


def setup(
    name: str,
    page_at: datetime,
    *,
    step: int = 30,
    configmaps: dict[str, dict[str, Any]] | None = None,
    frontend_hpa: bool = True,
) -> World:
    w = World(name, page_at, step)
    default_configmaps(w, configmaps)
    if frontend_hpa:
        hpa(w, "frontend", 4, 12, 4, 4, 41)
    return w


def finish(w: World) -> None:
    """Background logs for one live pod of every service that has none yet."""
    logged = {pod for pod, _ in w.logs}
    for svc in SERVICES:
        pods = [p for p in w.pods_of(svc.name) if p.status == "running" and p.created <= w.page_at]
        if pods and not any(p.name in logged for p in pods):
            logs.background(w, pods[0], minutes=15, every=30)


def bump(version: str) -> str:
    major, minor, patch = version.split(".")
    return f"{major}.{minor}.{int(patch) + 1}"


def harmless_deploy(w: World, service: str, minutes: float, note: str) -> None:
    version = bump(w.current(service).version)
    rollout(w, service, ago(w, minutes), version, f"deploy {service} {version}: {note}")


def blip(w: World, service: str, minutes: float, *, lat: float = 2.5, err: float = 0.02, length: float = 2.0) -> None:
    start = ago(w, minutes)
    w.episode(service, start, ramp=30, end=start + timedelta(minutes=length), lat=lat, err=err)


def probe_warning(w: World, service: str, minutes: float, kind: str = "Readiness") -> Pod:
    pod = w.pods_of(service)[0]
    at = ago(w, minutes)
    path = "/ready" if kind == "Readiness" else "/healthz"
    event(
        w,
        "Pod",
        pod.name,
        "Unhealthy",
        f'{kind} probe failed: Get "http://{pod_ip(pod.name)}:{pod.svc.port}{path}": context deadline exceeded '
        "(Client.Timeout exceeded while awaiting headers)",
        at,
        last=at + timedelta(seconds=10),
        count=2,
        type="Warning",
        host=pod.node,
        field_path=f"spec.containers{{{service}}}",
    )
    return pod


def disk_alert(w: World, service: str = "shop-db", hours: float = 26) -> dict[str, Any]:
    return am_alert(
        w.page_at,
        "KubePersistentVolumeFillingUp",
        service,
        summary="PersistentVolume is filling up.",
        description=f"The PersistentVolume claimed by data-{service}-0 in namespace shop is only 14.2% free.",
        starts=w.page_at - timedelta(hours=hours),
        severity="warning",
        receiver="platform-slack",
        extra={"persistentvolumeclaim": f"data-{service}-0"},
        expr='kubelet_volume_stats_available_bytes{namespace="shop"} / kubelet_volume_stats_capacity_bytes < 0.15',
        runbook="https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepersistentvolumefillingup",
    )


def error_alert(
    w: World, service: str, pct: float, starts: datetime, *, severity: str = "critical", receiver: str = "oncall-pager"
) -> dict[str, Any]:
    return am_alert(
        w.page_at,
        "HighErrorRatio",
        service,
        summary=f"{service}: more than 5% of requests fail",
        description=f"{pct:.1f}% of {service} requests returned 5xx over the last 5 minutes (threshold 5%).",
        starts=starts,
        severity=severity,
        receiver=receiver,
        expr=f'sum(rate(http_requests_total{{service="{service}",code=~"5.."}}[5m])) / '
        f'sum(rate(http_requests_total{{service="{service}"}}[5m])) > 0.05',
    )


def latency_alert(
    w: World,
    service: str,
    seconds: float,
    starts: datetime,
    *,
    severity: str = "critical",
    receiver: str = "oncall-pager",
    threshold: float = 1.0,
) -> dict[str, Any]:
    return am_alert(
        w.page_at,
        "HighLatency",
        service,
        summary=f"{service}: p99 latency above {threshold:g}s",
        description=f"p99 latency of {service} is {seconds:.2f}s over the last 5 minutes (threshold {threshold:g}s).",
        starts=starts,
        severity=severity,
        receiver=receiver,
        expr=f"histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket"
        f'{{service="{service}"}}[5m]))) > {threshold:g}',
    )


def old_alert(
    w: World, name: str, service: str, summary: str, hours: float, expr: str, extra: dict[str, str] | None = None
) -> dict[str, Any]:
    """A long-firing warning unrelated to the incident (a red herring)."""
    return am_alert(
        w.page_at,
        name,
        service,
        summary=summary,
        description=summary,
        severity="warning",
        receiver="platform-slack",
        starts=w.page_at - timedelta(hours=hours),
        expr=expr,
        extra=extra,
    )
