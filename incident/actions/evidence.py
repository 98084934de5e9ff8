"""Whether collected evidence (not text) supports an action a runbook step offers.

A hypothesis may come from a model, and a model can be steered by text it read (a log line saying
"roll back payments"). So an action is proposed from a step only when what the cluster, Prometheus,
Alertmanager or PagerDuty reported about the incident names its target: a rollback needs a rollout
of that Deployment in the window (from the revision it rolls back to), a restart or scale needs
symptoms of that Deployment, deleting a pod needs that pod in trouble, a silence needs an alert of
the incident it matches, a PagerDuty action the incident's own PagerDuty id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from incident.details import RolloutDetails, SubjectDetails
from incident.models import EventKind, Incident, TimelineEvent

COLLECTED = frozenset(
    {
        EventKind.alert,
        EventKind.metric_change,
        EventKind.pod_state,
        EventKind.k8s_event,
        EventKind.deploy,
        EventKind.config_change,
        EventKind.node_state,
    }
)
"""Kinds written from what an API reported; log excerpts, notes, hypotheses and memory are text."""

ROLLOUTS = (EventKind.deploy, EventKind.config_change)


@dataclass(frozen=True)
class Collected:
    """What the incident's connectors reported, as an evidence rule reads it."""

    incident: Incident
    events: Sequence[TimelineEvent]
    lookback: timedelta
    """How far before the page a rollout still counts (``[watcher] deploy_lookback``)."""


Rule = Callable[[Collected, dict[str, Any]], str | None]
"""An action type's evidence rule: why the collected evidence does not support these params, or None."""


def _names(event: TimelineEvent, namespace: str | None, deployment: str | None) -> bool:
    d = SubjectDetails.of(event)
    return d.deployment == deployment and (namespace is None or d.namespace == namespace)


def rollout_in_window(c: Collected, params: dict[str, Any]) -> str | None:
    """A rollout of that Deployment, reported by the cluster, between ``lookback`` before the page and the page."""
    ns, dep, to = params.get("namespace"), params.get("deployment"), params.get("to_revision")
    incident = c.incident
    since = incident.page_at - c.lookback
    rollouts = [
        e
        for e in c.events
        if e.kind in ROLLOUTS and e.source == "kubernetes" and _names(e, ns, dep) and since <= e.at <= incident.page_at
    ]
    if not rollouts:
        return f"no rollout of deployment {ns}/{dep} was collected in the incident's window"
    if to is not None and all(str(RolloutDetails.of(e).previous_revision) != str(to) for e in rollouts):
        return f"no rollout of deployment {ns}/{dep} in the window came from revision {to}"
    return None


def deployment_symptoms(c: Collected, params: dict[str, Any]) -> str | None:
    ns, dep = params.get("namespace"), params.get("deployment")
    events = c.events
    components = {e.component for e in events if _names(e, ns, dep) and e.component} | {dep}
    for e in events:
        if e.kind not in COLLECTED:
            continue
        d = SubjectDetails.of(e)
        if _names(e, ns, dep) or e.component in components:
            return None
        if ns is not None and d.namespace == ns and str(d.pod or "").startswith(f"{dep}-"):
            return None
    return f"no collected evidence (pods, events, metrics, alerts) concerns deployment {ns}/{dep}"


def pod_in_trouble(c: Collected, params: dict[str, Any]) -> str | None:
    ns, pod = params.get("namespace"), params.get("pod")
    for e in c.events:
        d = SubjectDetails.of(e)
        named = pod in (d.pod, d.object_name)
        if e.kind in (EventKind.pod_state, EventKind.k8s_event) and d.namespace == ns and named:
            return None
    return f"no collected evidence shows pod {ns}/{pod} in trouble"


def matching_alert(c: Collected, params: dict[str, Any]) -> str | None:
    matchers = params.get("matchers") or {}
    if any(all((a.labels or {}).get(k) == v for k, v in matchers.items()) for a in c.incident.alerts):
        return None
    shown = ",".join(f"{k}={v}" for k, v in sorted(matchers.items()))
    return f"no alert of the incident matches {shown}"


def own_pagerduty_incident(c: Collected, params: dict[str, Any]) -> str | None:
    wanted = params.get("incident_id")
    incident = c.incident
    if wanted and wanted in (incident.source_ref, incident.dedup_key.removeprefix("pagerduty:")):
        return None
    return f"PagerDuty incident {wanted} is not this incident's"


def unsupported(
    session: Session, *, incident: Incident, type_: str, params: dict[str, Any], lookback: timedelta
) -> str | None:
    """Why the incident's collected evidence does not support this action; None when it does."""
    from incident.actions.types import find  # the registry names the rules above

    action_type = find(type_)
    if action_type is None:
        return f"no evidence rule for {type_}"
    events = list(session.scalars(select(TimelineEvent).where(TimelineEvent.incident_id == incident.id)))
    return action_type.evidence(Collected(incident, events, lookback), params)
