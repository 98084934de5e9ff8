"""A fault's shape shared by every kind: where it sits, when it starts, how strongly, and how it spreads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from _synth import logs
from _synth.model import Pod, World


@dataclass
class Fault:
    kind: str
    cause: str
    """The truth component (a service or a datastore)."""
    chain: list[str]
    """Call path from the paged service down to the cause (``[cause]`` when the cause is paged)."""
    onset: datetime
    err: float
    """Error ratio the fault adds at the cause."""
    lat_add: float
    """Seconds of median latency the fault adds at the cause."""
    mode: str = "http"
    """How callers of the cause log its failure (see :func:`_synth.logs.dep_failure`)."""
    description: str = ""
    notes: str = ""
    also_accept: list[str] = field(default_factory=list)
    node: str | None = None

    @property
    def paged(self) -> str:
        return self.chain[0]


def spread(w: World, f: Fault, *, lat: float = 1.0, sigma_add: float = 0.0, ramp: float = 60.0) -> None:
    """The fault's errors and latency at the cause, carried up every caller chain, and the callers' error logs."""
    if f.err or f.lat_add or lat != 1.0:
        w.episode(f.cause, f.onset, ramp=ramp, err=f.err, lat_add=f.lat_add, lat=lat, sigma_add=sigma_add)
    w.propagate(f.cause, f.onset, lat_add=f.lat_add + w.svc(f.cause).latency * (lat - 1), err=f.err, ramp=ramp)
    since = f.onset + timedelta(seconds=20)
    # every replica of a caller sees the failing dependency (each at a share of the caller's traffic)
    for caller in w.topo.callers(f.cause):
        pods = running_pods(w, caller)
        for pod in pods:
            every = (25 if f.err > 0.05 else 50) * len(pods)
            logs.caller_errors(w, pod, f.cause, f.mode, since, every=every)
    for upper, lower in zip(f.chain, f.chain[1:], strict=False):
        if lower == f.cause:
            continue
        pods = running_pods(w, upper)
        for pod in pods:
            mode = "http" if f.err >= f.lat_add else "timeout"
            logs.caller_errors(w, pod, lower, mode, since + timedelta(seconds=30), every=40 * len(pods))


def running_pods(w: World, service: str) -> list[Pod]:
    return [p for p in w.pods_of(service) if p.status == "running" and p.created <= w.page_at]


def first_pod(w: World, service: str) -> Pod | None:
    pods = running_pods(w, service)
    return pods[0] if pods else None


def attenuation(w: World, chain: list[str]) -> float:
    out = 1.0
    for upper, lower in zip(chain, chain[1:], strict=False):
        out *= w.topo.share[(upper, lower)]
    return out
