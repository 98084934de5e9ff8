"""Evidence checks: what the timeline's pod state, events, rollouts, nodes and logs say.

Each check yields :class:`Finding` objects: a kind on a component with a strength in [0, 1], the
event ids that support it, when the mechanism began (``since``) and what would refute it. Errors a
caller logs about a dependency it names are findings on that dependency (:mod:`attribution`).
Metric evidence, relevance and timing are weighed in ``rank``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from incident.analysis.attribution import ERROR_CLASSES, Resolver, error_class, mentions
from incident.analysis.context import AnalysisInput
from incident.analysis.timing import loop_duration, parse_time
from incident.details import KubeEventDetails, LogExcerptDetails, NodeStateDetails, PodStateDetails, RolloutDetails
from incident.models import TimelineEvent

RECENT_CHANGE = timedelta(minutes=45)
"""A rollout or config change this close before the symptom is a suspect."""
CODE_ERRORS = re.compile(
    r"(?i)traceback|exception\b|\w+(error|exception):|panic:|nil pointer|null ?pointer|segmentation fault|"
    r"undefined (method|is not)|unhandled|assertion failed|stack trace"
)
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?")
MAX_LINE = 2000
"""Characters of one log line read (a stack trace on one line says what it says early)."""
BAD_WAITING = {"CreateContainerConfigError", "CreateContainerError", "RunContainerError"}
PULL_WAITING = {"ImagePullBackOff", "ErrImagePull", "InvalidImageName"}


@dataclass
class Finding:
    kind: str
    component: str
    strength: float
    summary: str
    evidence: list[str] = field(default_factory=list)
    refutation: str = ""
    since: float | None = None
    """Unix time the mechanism began (the change itself for rollouts and config changes)."""
    since_is_bound: bool = False
    """``since`` is only an upper bound (the first error in a truncated log tail): the mechanism
    began then or earlier."""
    named_by: list[str] = field(default_factory=list)
    """Callers whose errors name this component (attribution)."""
    detail: dict[str, object] = field(default_factory=dict)
    """Facts later checks use: ``liveness``, ``owner`` (ReplicaSet), ``node``, ``evicted``."""


def _containers(event: TimelineEvent) -> list[dict[str, Any]]:
    return list(PodStateDetails.of(event).containers)


def _loop_since(data: AnalysisInput, c: dict[str, Any], ev: TimelineEvent) -> float | None:
    """When a restarting container began failing: its restart count under the kubelet's back-off
    puts a floor on how long it has been at it; it cannot predate its pod."""
    restarts = int(c.get("restarts") or 0)
    present = data.present.timestamp()
    created = parse_time(PodStateDetails.of(ev).created_at)
    last = parse_time(c.get("last_finished_at"))
    since = present - loop_duration(restarts)
    if last is not None:  # it cannot have begun later than its last exit allows
        since = min(since, last - loop_duration(restarts - 1))
    if restarts <= 1:
        since = last if last is not None else ev.at.timestamp()
    if created is not None:
        since = max(since, created)
    return since


def pod_findings(data: AnalysisInput) -> Iterator[Finding]:
    present = data.present.timestamp()
    for ev in data.events_of("pod_state"):
        comp = ev.component
        if not comp or "pod" not in ev.details:
            continue
        details = PodStateDetails.of(ev)
        pod = details.pod
        facts: dict[str, object] = {"owner": details.owner, "node": details.node}
        for c in _containers(ev):
            last = parse_time(c.get("last_finished_at"))
            if last is not None and last > present:  # a termination stamped in the future is hindsight
                c = {**c, "last_reason": None, "last_state": None, "last_exit_code": None}
            reasons = {c.get("reason"), c.get("last_reason")}
            since = _loop_since(data, c, ev)
            if "OOMKilled" in reasons:
                limit = (c.get("limits") or {}).get("memory")
                yield Finding(
                    "oom",
                    comp,
                    0.9,
                    f"{pod}/{c['name']} OOMKilled" + (f" at its {limit} limit" if limit else ""),
                    [ev.id],
                    "memory stays well under the limit and no container was OOMKilled",
                    since=since,
                    detail=facts,
                )
            elif c.get("reason") in PULL_WAITING:
                yield Finding(
                    "image_pull",
                    comp,
                    0.9,
                    f"{pod} cannot pull {c.get('image')}: {c.get('reason')}",
                    [ev.id],
                    "the image pulls by hand with the cluster's credentials",
                    since=parse_time(details.created_at) or ev.at.timestamp(),
                    detail=facts,
                )
            elif (
                c.get("reason") == "CrashLoopBackOff"
                or c.get("reason") in BAD_WAITING
                or (
                    c.get("last_state") == "terminated"
                    and (c.get("restarts") or 0) >= 2
                    and c.get("last_exit_code") not in (None, 0)
                )
            ):
                code = c.get("last_exit_code")
                yield Finding(
                    "crashloop",
                    comp,
                    0.85,
                    f"{pod}/{c['name']} keeps exiting"
                    + (f" (exit {code})" if code is not None else "")
                    + f", {c.get('restarts') or 0} restarts",
                    [ev.id],
                    "the container runs steadily after a restart with the same config",
                    since=since,
                    detail={**facts, "exit_code": code},
                )
        for cond in details.conditions:
            if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
                msg = str(cond.get("message") or "")
                yield Finding(
                    "unschedulable",
                    comp,
                    0.85,
                    f"{pod} cannot be scheduled: {msg}",
                    [ev.id],
                    "the pod gets placed once capacity frees up without other changes",
                    since=parse_time(cond.get("last_transition")) or ev.at.timestamp(),
                    detail={**facts, "taint": "taint" in msg.lower()},
                )
            if cond.get("type") == "DisruptionTarget" and cond.get("status") == "True":
                yield Finding(
                    "node_failure",
                    comp,
                    0.6,
                    f"{pod} is being evicted: {cond.get('reason') or ''} {cond.get('message') or ''}".strip(),
                    [ev.id],
                    "the node stays Ready and the pod was not evicted",
                    since=parse_time(cond.get("last_transition")) or ev.at.timestamp(),
                    detail={**facts, "evicted": True},
                )


NODE_EVENT_REASONS = {"NodeNotReady", "TaintManagerEviction", "Evicted", "NodeStatusUnknown"}


def event_findings(data: AnalysisInput) -> Iterator[Finding]:
    for ev in data.events_of("k8s_event"):
        details = KubeEventDetails.of(ev)
        comp, reason, msg = ev.component, details.reason, str(details.message)
        if not comp:
            continue
        count = int(details.count or 1)
        since = parse_time(details.first_at) or ev.at.timestamp()
        liveness = "liveness" in msg.lower()
        if reason == "FailedScheduling":
            yield Finding(
                "unschedulable",
                comp,
                0.8,
                f"scheduler: {msg[:160]}",
                [ev.id],
                "the pods are scheduled and the symptom stays",
                since=since,
                detail={"taint": "taint" in msg.lower()},
            )
        elif reason in ("Failed", "ErrImagePull") and re.search(r"(?i)pull|manifest|image", msg):
            yield Finding(
                "image_pull",
                comp,
                0.85,
                f"image pull failed: {msg[:160]}",
                [ev.id],
                "the image exists and pulls",
                since=since,
            )
        elif reason == "Unhealthy" and count >= 3:
            # failing probes that took pods out of service are the mechanism; alone they may be noise
            unready = [
                p.id
                for p in data.events_of("pod_state")
                if p.component == comp and PodStateDetails.of(p).ready is False
            ]
            yield Finding(
                "probe_failure",
                comp,
                0.75 if (unready or liveness) else 0.45,
                f"probes failing (x{count}): {msg[:120]}" + ("; pods taken out of service" if unready else ""),
                [ev.id, *unready[:3]],
                "probes pass while the symptom continues",
                since=since,
                detail={"liveness": liveness},
            )
        elif reason == "Killing" and liveness:
            yield Finding(
                "probe_failure",
                comp,
                0.8,
                f"containers killed by their liveness probe (x{count}): {msg[:120]}",
                [ev.id],
                "the container restarts on its own, with the probe passing",
                since=since,
                detail={"liveness": True},
            )
        elif reason == "BackOff" and "restart" in msg.lower():
            yield Finding(
                "crashloop",
                comp,
                0.6,
                f"back-off restarting a failed container (x{count})",
                [ev.id],
                "the container runs steadily after a restart with the same config",
                since=since,
            )
        elif reason in NODE_EVENT_REASONS:
            yield Finding(
                "node_failure",
                comp,
                0.7,
                f"{reason}: {msg[:160]}",
                [ev.id],
                "the node stays Ready and the pods were not evicted",
                since=since,
                detail={"evicted": reason != "NodeNotReady"},
            )
        elif reason in ("FailedMount", "FailedAttachVolume", "VolumeResizeFailed"):
            yield Finding(
                "storage", comp, 0.7, f"{reason}: {msg[:160]}", [ev.id], "volumes mount and have room", since=since
            )
        elif reason in ("OOMKilling",):
            yield Finding("oom", comp, 0.85, msg[:160], [ev.id], "no OOM kills", since=since)


def change_findings(data: AnalysisInput) -> Iterator[Finding]:
    """Every rollout and config change in the lookback; ``rank`` weighs them by timing."""
    present = data.present
    for ev in data.events_of("deploy", "config_change"):
        rollout = RolloutDetails.of(ev)
        comp = ev.component or rollout.component
        if not comp or not (present - 3 * RECENT_CHANGE <= ev.at <= present):
            continue
        kind = "deploy_regression" if ev.kind == "deploy" else "config_change"
        yield Finding(
            kind,
            comp,
            0.6,
            ev.summary,
            [ev.id],
            "the problem started before the change, or persists after rolling it back",
            since=ev.at.timestamp(),
            detail={"replicaset": rollout.replicaset},
        )


def node_findings(data: AnalysisInput) -> Iterator[Finding]:
    bad_nodes = {NodeStateDetails.of(ev).node: ev for ev in data.events_of("node_state")}
    if not bad_nodes:
        return
    for ev in data.events_of("pod_state"):
        pod = PodStateDetails.of(ev)
        node = pod.node
        if node in bad_nodes and ev.component:
            cond = bad_nodes[node]
            yield Finding(
                "node_failure",
                ev.component,
                0.85,
                f"{pod.pod} runs on {cond.summary}",
                [cond.id, ev.id],
                "the node is Ready with no pressure conditions",
                since=cond.at.timestamp(),
                detail={"node": node},
            )


def _line_time(line: str) -> float | None:
    m = TIMESTAMP.search(line[:64])
    return parse_time(m.group(0).replace(" ", "T")) if m else None


def _earliest(a: float | None, b: float | None) -> float | None:
    return min(a, b) if a is not None and b is not None else (a if b is None else b)


def log_findings(data: AnalysisInput) -> Iterator[Finding]:
    """Error signatures in logs: on the component a line names when it names one (attribution),
    else on the component that logged it."""
    resolver = Resolver(data)
    present = data.present.timestamp()
    dns_callers: dict[str, dict[str, str]] = defaultdict(dict)
    for ev in data.events_of("log_excerpt"):
        comp = ev.component
        if not comp:
            continue
        excerpt = LogExcerptDetails.of(ev)
        pod = excerpt.pod
        own: dict[str, float] = {}
        own_since: dict[str, float | None] = {}
        named: dict[tuple[str, str], list[str]] = defaultdict(list)
        for line in (str(x)[:MAX_LINE] for x in excerpt.lines):
            stamp = _line_time(line)
            if stamp is not None and stamp > present:
                continue
            cls = error_class(line)
            targets = [t for t in resolver.named(line) if t != comp] if cls else []
            if cls is not None and targets and not cls.blames_caller:
                for t in targets:
                    named[(cls.kind, t)].append(line)
            elif cls is not None and cls.kind != "dependency_failure":
                if cls.blames_caller:
                    for t in targets:
                        dns_callers[t].setdefault(comp, ev.id)
                own[cls.kind] = max(own.get(cls.kind, 0.0), OWN_STRENGTH[cls.kind])
                own_since[cls.kind] = _earliest(own_since.get(cls.kind), stamp)
            elif cls is None and CODE_ERRORS.search(line):
                own["code_error"] = max(own.get("code_error", 0.0), 0.5)
                own_since["code_error"] = _earliest(own_since.get("code_error"), stamp)
        for kind, strength in own.items():
            what = next((c.what for c in ERROR_CLASSES if c.kind == kind), "application exceptions")
            yield Finding(
                kind,
                comp,
                strength,
                f"{what} in the logs of {pod}",
                [ev.id],
                "the errors are absent from the other replicas' logs",
                since=own_since.get(kind),
                since_is_bound=True,
            )
        for (kind, target), lines in named.items():
            what = next(c.what for c in ERROR_CLASSES if c.kind == kind)
            yield Finding(
                kind,
                target,
                NAMED_STRENGTH[kind],
                f"{comp} reports {what} naming {target}: {lines[0][:160]}",
                [ev.id],
                f"{target} answers {comp}'s requests normally while the errors continue",
                since=_line_time(lines[0]),
                since_is_bound=True,
                named_by=[comp],
            )
    for target, callers in dns_callers.items():
        if len(callers) >= 2:  # several callers cannot resolve one name: the name is what is missing
            yield Finding(
                "network",
                target,
                0.6,
                f"{len(callers)} callers cannot resolve {target} ({', '.join(sorted(callers))})",
                list(callers.values()),
                f"{target}'s Service and DNS records resolve from a caller's pod",
                named_by=sorted(callers),
            )


def named_findings(data: AnalysisInput) -> Iterator[Finding]:
    """Warning events and alert annotations that name another component in an error: the same
    attribution as for logs (a probe or an alert describing a dependency's failure)."""
    for m in mentions(data, kinds=("k8s_event", "alert")):
        if m.cls.blames_caller:
            continue
        what = "alert" if m.source == "alert" else "events"
        yield Finding(
            m.cls.kind,
            m.target,
            0.9 * NAMED_STRENGTH[m.cls.kind],
            f"{m.caller}'s {what} report {m.cls.what} naming {m.target}: {m.line[:160]}",
            [m.event_id],
            f"{m.target} answers {m.caller}'s requests normally while the errors continue",
            since=m.since,
            named_by=[m.caller],
        )


OWN_STRENGTH = {"certificate": 0.75, "storage": 0.75, "network": 0.65}
NAMED_STRENGTH = {"certificate": 0.75, "storage": 0.75, "network": 0.6, "dependency_failure": 0.6}


def all_findings(data: AnalysisInput) -> list[Finding]:
    findings: list[Finding] = []
    for check in (pod_findings, event_findings, change_findings, node_findings, log_findings, named_findings):
        findings.extend(check(data))
    return findings
