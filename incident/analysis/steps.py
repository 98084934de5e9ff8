"""Attach matched runbook steps to hypotheses, templated from what the timeline knows."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from incident.analysis.context import AnalysisInput
from incident.details import OwnershipDetails, PodStateDetails, RolloutDetails
from incident.hypotheses import HypothesisDraft
from incident.models import Component
from incident.runbooks import RunbookSet, catalog_links, flatten_steps, match_runbooks
from incident.timeutil import as_utc

MAX_RUNBOOKS = 2


REPLICASET_POD = re.compile(r"^(?P<deployment>[a-z0-9][a-z0-9-]*)-[a-z0-9]{5,10}-[a-z0-9]{5}$")
"""``<deployment>-<pod-template-hash>-<suffix>``: the name a Deployment's ReplicaSet gives its pods."""


def _owning_deployment(owner: str | None) -> str | None:
    """The Deployment behind a pod's ``ReplicaSet/<deployment>-<hash>`` owner (None for others)."""
    kind, _, name = (owner or "").partition("/")
    return name.rsplit("-", 1)[0] if kind == "ReplicaSet" and "-" in name else None


def _running(data: AnalysisInput, component: str, known: dict[str, Any]) -> dict[str, Any]:
    """A pod in trouble (its namespace, node, container, owning Deployment), then the Deployment and
    replicas from the Deployment short of ready replicas, else from the component's pods (their
    ReplicaSet names give the Deployment, their count the replicas): a component with no rollout
    in the window still resolves. Healthy pods are never offered as ``pod``."""
    out: dict[str, Any] = {"owned_by": None}
    summaries: list[PodStateDetails] = []
    for ev in data.events_of("pod_state"):
        if ev.component != component:
            continue
        pod = PodStateDetails.of(ev)
        if pod.pod and "pod" not in out:
            out |= {"pod": pod.pod, "node": pod.node, "namespace": pod.namespace}
            if pod.containers:
                out["container"] = pod.containers[0].get("name")
            out["owned_by"] = _owning_deployment(pod.owner)
        elif pod.deployment:
            out.setdefault("deployment", pod.deployment)
            out["replicas"] = pod.replicas
        elif pod.pods:
            summaries.append(pod)
    deployment = known.get("deployment") or out.get("deployment") or out.get("owned_by")
    del out["owned_by"]
    for summary in summaries[-1:]:  # the latest list of the component's pods
        if deployment is None:
            matches = [REPLICASET_POD.match(name) for name in summary.pods]
            names = {m.group("deployment") for m in matches if m}
            deployment = names.pop() if len(names) == 1 and all(matches) else None
        if deployment and summary.pods and all(name.startswith(f"{deployment}-") for name in summary.pods):
            out.setdefault("replicas", summary.total or len(summary.pods))
    if deployment:
        out["deployment"] = deployment
    return {k: v for k, v in out.items() if v is not None and (k != "namespace" or v)}


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
    suspects = [e for e in rollouts if as_utc(e.at) <= as_utc(incident.page_at)]
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
    ctx |= _running(data, component, ctx)
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
