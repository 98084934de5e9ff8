"""Unhealthy pods of components outside the gathered set (the paged component, its dependencies
and callers): recorded so the analyzer can show them as off the paged path ("cart has been
crash-looping for days, unrelated") instead of never seeing them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from connectors.base import PodInfo
from incident.gathering.drafts import Draft, GatherContext
from incident.gathering.pods import problem_draft
from incident.models import EventKind

MAX_OFF_PATH_PODS = 20
TEMPLATE_HASH = "pod-template-hash"


def workload_of(pod: PodInfo) -> str | None:
    """The pod's component label, else the name of the workload that owns it."""
    if pod.component:
        return pod.component
    kind, _, name = (pod.owner or "").partition("/")
    if kind == "ReplicaSet" and (suffix := pod.labels.get(TEMPLATE_HASH)) and name.endswith(f"-{suffix}"):
        return name[: -len(suffix) - 1]
    return name or None


def off_path_drafts(pods: Iterable[PodInfo], ctx: GatherContext, *, limit: int = MAX_OFF_PATH_PODS) -> list[Draft]:
    """One pod_state draft per unhealthy pod of ``pods`` (already outside the gathered set), one
    pod per component in turn so a few crash-looping components do not hide the others."""
    by_component: dict[str, list[Draft]] = defaultdict(list)
    for pod in pods:
        component = workload_of(pod)
        draft = problem_draft(component, pod, ctx, wide_scan=True)
        if draft is not None:
            by_component[component or ""].append(draft)
    picked: list[Draft] = []
    queues = [by_component[c] for c in sorted(by_component)]
    while len(picked) < limit and any(queues):
        for queue in queues:
            if queue and len(picked) < limit:
                picked.append(queue.pop(0))
    left = sum(len(q) for q in queues)
    if left:
        picked.append(
            Draft(
                kind=EventKind.note,
                key=f"offpath/{ctx.namespace or 'all'}",
                at=ctx.window_end,
                source="kubernetes",
                summary=f"{left} more unhealthy pods outside the paged component's dependencies and callers "
                f"(of {sum(1 for q in queues if q)} components) not recorded",
                details={"components": sorted(c for c, q in zip(sorted(by_component), queues, strict=True) if q)},
            )
        )
    return picked
