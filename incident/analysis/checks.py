"""Evidence checks: what the timeline's pod state, events, rollouts, nodes and logs say.

Each check yields :class:`Finding` objects: a kind on a component with a strength in [0, 1], the
event ids that support it and what would refute it. Metric evidence is added in ``rank``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from incident.analysis.context import AnalysisInput
from incident.models import TimelineEvent

RECENT_CHANGE = timedelta(minutes=45)
"""A rollout or config change this close before the page is a suspect."""


@dataclass
class Finding:
    kind: str
    component: str
    strength: float
    summary: str
    evidence: list[str] = field(default_factory=list)
    refutation: str = ""
    at: float | None = None
    """Unix time of the change, for rollouts and config changes."""


LOG_PATTERNS: list[tuple[str, re.Pattern[str], float, str]] = [
    (
        "certificate",
        re.compile(
            r"(?i)x509|certificate[ _](has[ _])?expired|certificate_expired|certificate verify failed|"
            r"tls: (bad|handshake)|sslhandshakeexception|pkix path|certificate is not yet valid"
        ),
        0.75,
        "TLS certificate errors in the logs",
    ),
    (
        "storage",
        re.compile(
            r"(?i)no space left on device|enospc|disk (is )?full|disk quota exceeded|read-only file system|"
            r"i/o error"
        ),
        0.75,
        "storage errors in the logs",
    ),
    (
        "network",
        re.compile(
            r"(?i)no such host|nxdomain|temporary failure in name resolution|name or service not known|"
            r"unknownhostexception|network is unreachable|no route to host"
        ),
        0.65,
        "DNS / network errors in the logs",
    ),
]
BAD_WAITING = {"CreateContainerConfigError", "CreateContainerError", "RunContainerError"}


def _containers(event: TimelineEvent) -> list[dict]:
    return list(event.details.get("containers") or [])


def pod_findings(data: AnalysisInput) -> Iterator[Finding]:
    for ev in data.events_of("pod_state"):
        comp = ev.component
        if not comp or "pod" not in ev.details:
            continue
        pod = ev.details["pod"]
        for c in _containers(ev):
            reasons = {c.get("reason"), c.get("last_reason")}
            if "OOMKilled" in reasons:
                limit = (c.get("limits") or {}).get("memory")
                yield Finding(
                    "oom",
                    comp,
                    0.9,
                    f"{pod}/{c['name']} OOMKilled" + (f" at its {limit} limit" if limit else ""),
                    [ev.id],
                    "memory stays well under the limit and no container was OOMKilled",
                )
            elif c.get("reason") in ("ImagePullBackOff", "ErrImagePull", "InvalidImageName"):
                yield Finding(
                    "image_pull",
                    comp,
                    0.9,
                    f"{pod} cannot pull {c.get('image')}: {c.get('reason')}",
                    [ev.id],
                    "the image pulls by hand with the cluster's credentials",
                )
            elif (
                c.get("reason") == "CrashLoopBackOff"
                or c.get("reason") in BAD_WAITING
                or (
                    c.get("last_state") == "terminated"
                    and (c.get("restarts") or 0) >= 2
                    and c.get("last_exit_code") not in (None, 0, 137)
                )
            ):
                code = c.get("last_exit_code")
                yield Finding(
                    "crashloop",
                    comp,
                    0.85,
                    f"{pod}/{c['name']} keeps exiting" + (f" (exit {code})" if code is not None else ""),
                    [ev.id],
                    "the container runs steadily after a restart with the same config",
                )
        for cond in ev.details.get("conditions") or []:
            if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
                yield Finding(
                    "unschedulable",
                    comp,
                    0.85,
                    f"{pod} cannot be scheduled: {cond.get('message')}",
                    [ev.id],
                    "the pod gets placed once capacity frees up without other changes",
                )


def event_findings(data: AnalysisInput) -> Iterator[Finding]:
    for ev in data.events_of("k8s_event"):
        comp, reason, msg = ev.component, ev.details.get("reason", ""), ev.details.get("message", "")
        if not comp:
            continue
        count = int(ev.details.get("count") or 1)
        if reason == "FailedScheduling":
            yield Finding(
                "unschedulable",
                comp,
                0.8,
                f"scheduler: {msg[:160]}",
                [ev.id],
                "the pods are scheduled and the symptom stays",
            )
        elif reason in ("Failed", "ErrImagePull") and re.search(r"(?i)pull|manifest|image", msg):
            yield Finding(
                "image_pull", comp, 0.85, f"image pull failed: {msg[:160]}", [ev.id], "the image exists and pulls"
            )
        elif reason == "Unhealthy" and count >= 3:
            # failing probes that took pods out of service are the mechanism; alone they may be noise
            unready = [
                p.id for p in data.events_of("pod_state") if p.component == comp and p.details.get("ready") is False
            ]
            yield Finding(
                "probe_failure",
                comp,
                0.75 if unready else 0.45,
                f"probes failing (x{count}): {msg[:120]}" + ("; pods taken out of service" if unready else ""),
                [ev.id, *unready[:3]],
                "probes pass while the symptom continues",
            )
        elif reason in ("FailedMount", "FailedAttachVolume", "VolumeResizeFailed"):
            yield Finding("storage", comp, 0.7, f"{reason}: {msg[:160]}", [ev.id], "volumes mount and have room")
        elif reason in ("OOMKilling",):
            yield Finding("oom", comp, 0.85, msg[:160], [ev.id], "no OOM kills")


def change_findings(data: AnalysisInput) -> Iterator[Finding]:
    page = data.page_at
    for ev in data.events_of("deploy", "config_change"):
        comp = ev.component or ev.details.get("component")
        if not comp or not (page - RECENT_CHANGE <= ev.at <= page):
            continue
        minutes = (page - ev.at).total_seconds() / 60
        kind = "deploy_regression" if ev.kind == "deploy" else "config_change"
        closeness = max(0.0, 1 - minutes / RECENT_CHANGE.total_seconds() * 60)
        yield Finding(
            kind,
            comp,
            0.35 + 0.25 * closeness,
            f"{ev.summary} ({minutes:.0f} min before the page)",
            [ev.id],
            "the problem started before the change, or persists after rolling it back",
            at=ev.at.timestamp(),
        )


def node_findings(data: AnalysisInput) -> Iterator[Finding]:
    bad_nodes = {ev.details.get("node"): ev for ev in data.events_of("node_state")}
    if not bad_nodes:
        return
    for ev in data.events_of("pod_state"):
        node = ev.details.get("node")
        if node in bad_nodes and ev.component:
            yield Finding(
                "node_failure",
                ev.component,
                0.85,
                f"{ev.details.get('pod')} runs on {bad_nodes[node].summary}",
                [bad_nodes[node].id, ev.id],
                "the node is Ready with no pressure conditions",
            )


def log_findings(data: AnalysisInput) -> Iterator[Finding]:
    for ev in data.events_of("log_excerpt"):
        comp = ev.component
        if not comp:
            continue
        text = "\n".join(ev.details.get("lines") or [])
        for kind, pattern, strength, what in LOG_PATTERNS:
            if pattern.search(text):
                yield Finding(
                    kind,
                    comp,
                    strength,
                    f"{what} of {ev.details.get('pod')}",
                    [ev.id],
                    "the errors are absent from the other replicas' logs",
                )


def all_findings(data: AnalysisInput) -> list[Finding]:
    findings: list[Finding] = []
    for check in (pod_findings, event_findings, change_findings, node_findings, log_findings):
        findings.extend(check(data))
    return findings
