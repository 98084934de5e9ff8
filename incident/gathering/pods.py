"""Pod state drafts: one summary per component, one draft per pod with something wrong."""

from __future__ import annotations

from datetime import datetime

from connectors.base import ContainerState, PodInfo
from incident.gathering.drafts import Draft, GatherContext
from incident.models import EventKind


def pod_problem(pod: PodInfo) -> tuple[str, datetime | None] | None:
    """A one-line description of what is wrong with the pod, and since when; None when healthy."""
    parts: list[str] = []
    when: datetime | None = None
    for c in pod.containers:
        if c.state == "waiting" and c.reason:
            parts.append(f"{c.name} {c.reason}" + (f" ({c.message[:120]})" if c.message else ""))
        elif c.state == "terminated" and c.reason and c.reason != "Completed":
            parts.append(f"{c.name} terminated {c.reason} (exit {c.exit_code})")
        if c.last_state == "terminated" and c.last_reason:
            parts.append(f"last exit {c.last_reason} (code {c.last_exit_code})")
            when = max(filter(None, [when, c.last_finished_at]), default=None)
        if c.restart_count:
            parts.append(f"{c.restart_count} restarts")
    for cond in pod.conditions:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
            parts.append(f"unschedulable: {cond.get('message') or cond.get('reason')}")
    if pod.phase not in ("Running", "Succeeded") and not parts:
        parts.append(f"phase {pod.phase}")
    if pod.phase == "Running" and not pod.ready and not parts:
        parts.append("not ready")
    if not parts:
        return None
    return "; ".join(dict.fromkeys(parts)), when or pod.created_at


def _container_details(c: ContainerState) -> dict[str, object]:
    return {
        "name": c.name,
        "image": c.image,
        "ready": c.ready,
        "restarts": c.restart_count,
        "state": c.state,
        "reason": c.reason,
        "message": c.message,
        "exit_code": c.exit_code,
        "last_state": c.last_state,
        "last_reason": c.last_reason,
        "last_exit_code": c.last_exit_code,
        "started_at": c.started_at,
        "last_finished_at": c.last_finished_at,
        "limits": c.limits,
        "requests": c.requests,
        "init": c.init,
    }


def problem_draft(component: str | None, pod: PodInfo, ctx: GatherContext, **extra: object) -> Draft | None:
    """What is wrong with one pod, stamped when it started (None when healthy)."""
    problem = pod_problem(pod)
    if problem is None:
        return None
    text, when = problem
    return Draft(
        kind=EventKind.pod_state,
        key=f"pod/{pod.namespace}/{pod.name}",
        at=when or ctx.page_at,
        source="kubernetes",
        component=component,
        summary=f"pod {pod.name}: {text}",
        details={
            "namespace": pod.namespace,
            "pod": pod.name,
            "phase": pod.phase,
            "ready": pod.ready,
            "node": pod.node,
            "owner": pod.owner,
            "created_at": pod.created_at,
            "conditions": list(pod.conditions),
            "containers": [_container_details(c) for c in pod.containers],
            **extra,
        },
    )


def pod_drafts(component: str, pods: list[PodInfo], ctx: GatherContext) -> list[Draft]:
    ready = sum(1 for p in pods if p.ready)
    drafts = [
        Draft(
            kind=EventKind.pod_state,
            key=f"pods/{component}",
            at=ctx.window_end,
            source="kubernetes",
            component=component,
            summary=f"{component}: {ready}/{len(pods)} pods ready, {sum(p.restarts for p in pods)} restarts",
            details={"pods": [p.name for p in pods], "ready": ready, "total": len(pods)},
        )
    ]
    drafts.extend(d for pod in pods if (d := problem_draft(component, pod, ctx)) is not None)
    return drafts
