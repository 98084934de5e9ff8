"""Attach matched runbook steps to hypotheses, templated from what the timeline knows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from incident.analysis.context import AnalysisInput
from incident.details import OwnershipDetails, PodStateDetails, RolloutDetails
from incident.hypotheses import HypothesisDraft
from incident.models import Component
from incident.runbooks import RunbookSet, catalog_links, flatten_steps, match_runbooks

MAX_RUNBOOKS = 2


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def step_context(data: AnalysisInput, component: str, *, component_label: str) -> dict[str, Any]:
    """Template variables for ``component``: its namespace, deployment, revisions, a pod, the page."""
    incident = data.incident
    ctx: dict[str, Any] = {
        "incident_id": incident.id,
        "pagerduty_id": incident.source_ref if incident.source == "pagerduty" else None,
        "paged_component": incident.component,
        "component_label": component_label,
        "namespace": incident.namespace,
    }
    rollouts = sorted(
        (
            e
            for e in data.events_of("deploy", "config_change")
            if e.component == component and "deployment" in e.details
        ),
        key=lambda e: e.at,
    )
    # The suspect is the last rollout before the page: one made after it (a rollback, a fix
    # forward) answers the page and cannot have caused it.
    suspects = [e for e in rollouts if _utc(e.at) <= _utc(incident.page_at)]
    if suspects:
        last = RolloutDetails.of(suspects[-1])
        ctx |= {
            "namespace": last.namespace or ctx["namespace"],
            "deployment": last.deployment,
            "revision": last.current_revision or last.revision,
        }
        later = rollouts[len(suspects) :]
        if not later:  # still the running revision: rolling back to the one before it is meaningful
            ctx["previous_revision"] = last.previous_revision
        else:  # already rolled back or redeployed since: a rollback now would undo that
            ctx["rolled_out_since"] = RolloutDetails.of(later[-1]).revision
    for ev in data.events_of("pod_state"):
        if ev.component != component:
            continue
        pod = PodStateDetails.of(ev)
        if "pod" in ev.details and "pod" not in ctx:
            ctx |= {"pod": pod.pod, "node": pod.node}
            ctx["namespace"] = pod.namespace or ctx["namespace"]
            if pod.containers:
                ctx["container"] = pod.containers[0].get("name")
        if "deployment" in ev.details:
            ctx.setdefault("deployment", pod.deployment)
            ctx["replicas"] = pod.replicas
    for ev in data.events_of("ownership"):
        if ev.component == component:
            ctx["owner"] = OwnershipDetails.of(ev).owner
    return {k: v for k, v in ctx.items() if v is not None}


def attach_steps(
    session: Session, data: AnalysisInput, drafts: list[HypothesisDraft], runbooks: RunbookSet, *, component_label: str
) -> list[HypothesisDraft]:
    alerts = [dict(a.labels) for a in data.incident.alerts]
    out = []
    for d in drafts:
        comp = session.get(Component, d.component)
        links = catalog_links(comp.runbook_url, comp.links or []) if comp else []
        matched = match_runbooks(
            runbooks.runbooks,
            kind=d.kind,
            component=d.component,
            alerts=alerts,
            context=step_context(data, d.component, component_label=component_label)
            | {"hypothesis": {"summary": d.summary, "confidence": d.confidence}},
            links=links,
        )
        out.append(d.model_copy(update={"steps": flatten_steps(matched[: MAX_RUNBOOKS + (1 if links else 0)])}))
    return out
