"""The action-type registry: one object per action type, and the only place a type name is spelled.

Config (``[actions] allowed_types``), runbooks (step schemas and text), proposals (target, title,
allow rule, evidence rule), executors and postmortems (follow-up items) all read it. A new action
type is one :class:`ActionType` here plus its executor.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from incident.actions import evidence
from incident.actions.executors import Executor
from incident.actions.k8s import DeletePod, Restart, RolloutUndo, Scale
from incident.actions.paging import Acknowledge, Note, Resolve, Silence
from incident.actions.params import (
    DeletePodParams,
    PagerDutyIncidentParams,
    PagerDutyNoteParams,
    Params,
    RestartParams,
    RolloutUndoParams,
    ScaleParams,
    SilenceParams,
)
from incident.config import ActionsConfig, parse_duration

Describe = Callable[[dict[str, Any]], tuple[str, str]]
StepText = Callable[[dict[str, Any]], str]
AllowRule = Callable[[ActionsConfig, dict[str, Any]], str | None]
Applies = Callable[[Mapping[str, Any]], str | None]
"""Why a type cannot apply to an incident, from a runbook step's context (None: it applies)."""


def _no_rule(cfg: ActionsConfig, params: dict[str, Any]) -> str | None:
    return None


def _always(context: Mapping[str, Any]) -> str | None:
    return None


def _paged_through_pagerduty(context: Mapping[str, Any]) -> str | None:
    return None if context.get("pagerduty_id") else "the incident did not come through PagerDuty"


@dataclass(frozen=True)
class ActionType:
    name: str
    """``<connector>.<verb>``, as runbooks, config and the store spell it."""
    schema: type[Params]
    """Its parameters (checked at runbook load, after rendering, and before approval)."""
    describe: Describe
    """``(target, title)`` of a proposed action, in words an on-call engineer reads at a glance."""
    step_text: StepText
    """The line a rendered runbook step shows (parameters may be missing: ``?``)."""
    executor: Executor[Any]
    """Dry-run, run and read back (:mod:`incident.actions.executors`)."""
    evidence: evidence.Rule
    """Why the collected evidence does not support the action (:mod:`incident.actions.evidence`)."""
    allow: AllowRule = _no_rule
    """A type's own ``[actions]`` limit, beyond allowed types and namespaces."""
    follow_ups: tuple[str, ...] = ()
    """Postmortem mitigate item an executed action leaves: the first template its values fill."""
    applies: Applies = _always
    """Whether a runbook step of this type belongs on an incident at all (a PagerDuty action needs a
    PagerDuty incident); steps that cannot apply are left out of the rendered list."""

    @property
    def connector(self) -> str:
        """Attribute of :class:`incident.registry.Connectors` the type acts through."""
        return self.executor.connector


def _deployment(p: dict[str, Any]) -> str:
    return f"deployment {p.get('namespace')}/{p.get('deployment')}"


def _in(p: dict[str, Any]) -> str:
    return f"{p.get('deployment', '?')} in {p.get('namespace', '?')}"


def _matchers(p: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((p.get("matchers") or {}).items()))


def _pagerduty(p: dict[str, Any]) -> str:
    return f"PagerDuty incident {p.get('incident_id')}"


def _rollback_title(p: dict[str, Any]) -> tuple[str, str]:
    to = p.get("to_revision")
    return _deployment(p), f"Roll back {_deployment(p)} to " + (f"revision {to}" if to else "the previous revision")


def _rollback_text(p: dict[str, Any]) -> str:
    to = p.get("to_revision")
    return f"Roll back deployment {_in(p)}" + (f" to revision {to}" if to else " to the previous revision")


def _silence_text(p: dict[str, Any]) -> str:
    matchers = p.get("matchers")
    selector = ", ".join(f"{k}={v}" for k, v in matchers.items()) if isinstance(matchers, dict) else ""
    return f"Silence alerts {{{selector}}} for {p.get('duration', '?')}"


def _silence_max(cfg: ActionsConfig, p: dict[str, Any]) -> str | None:
    if parse_duration(p["duration"]) > cfg.silence_max:
        return f"silence of {p['duration']} is longer than [actions] silence_max ({cfg.silence_max})"
    return None


def _pagerduty_type(verb: str, title: str, schema: type[Params], executor: Executor[Any]) -> ActionType:
    return ActionType(
        name=f"pagerduty.{verb}",
        schema=schema,
        describe=lambda p: (_pagerduty(p), f"{title} {_pagerduty(p)}"),
        step_text=lambda p: f"PagerDuty {verb} on incident {p.get('incident_id', '?')}",
        executor=executor,
        evidence=evidence.own_pagerduty_incident,
        applies=_paged_through_pagerduty,
    )


ROLLOUT_UNDO = ActionType(
    name="kubernetes.rollout_undo",
    schema=RolloutUndoParams,
    describe=_rollback_title,
    step_text=_rollback_text,
    executor=RolloutUndo(),
    evidence=evidence.rollout_in_window,
    follow_ups=(
        "Fix forward and redeploy {deployment}; it is pinned at revision {to_revision}",
        "Fix forward and redeploy {deployment}; it runs its previous revision",
    ),
)
SCALE = ActionType(
    name="kubernetes.scale",
    schema=ScaleParams,
    describe=lambda p: (_deployment(p), f"Scale {_deployment(p)} to {p.get('replicas')} replicas"),
    step_text=lambda p: f"Scale deployment {_in(p)} to {p.get('replicas', '?')} replicas",
    executor=Scale(),
    evidence=evidence.deployment_symptoms,
    follow_ups=("Review the replica count of {deployment} (scaled to {replicas} during the incident)",),
)
RESTART = ActionType(
    name="kubernetes.restart",
    schema=RestartParams,
    describe=lambda p: (_deployment(p), f"Restart {_deployment(p)} (rollout restart)"),
    step_text=lambda p: f"Restart deployment {_in(p)} (rolling)",
    executor=Restart(),
    evidence=evidence.deployment_symptoms,
    follow_ups=("Find why {deployment} needed a restart and fix the cause",),
)
DELETE_POD = ActionType(
    name="kubernetes.delete_pod",
    schema=DeletePodParams,
    describe=lambda p: (f"pod {p.get('namespace')}/{p.get('pod')}", f"Delete pod {p.get('namespace')}/{p.get('pod')}"),
    step_text=lambda p: f"Delete pod {p.get('pod', '?')} in {p.get('namespace', '?')} so its controller reschedules it",
    executor=DeletePod(),
    evidence=evidence.pod_in_trouble,
    follow_ups=("Find why pod {pod} had to be deleted and fix the cause",),
)
SILENCE = ActionType(
    name="alertmanager.silence",
    schema=SilenceParams,
    describe=lambda p: (f"alerts {_matchers(p)}", f"Silence alerts {_matchers(p)} for {p.get('duration')}"),
    step_text=_silence_text,
    executor=Silence(),
    evidence=evidence.matching_alert,
    allow=_silence_max,
    follow_ups=("Expire the Alertmanager silence ({target}) once the fix is out",),
)
ACKNOWLEDGE = _pagerduty_type("acknowledge", "Acknowledge", PagerDutyIncidentParams, Acknowledge())
RESOLVE = _pagerduty_type("resolve", "Resolve", PagerDutyIncidentParams, Resolve())
NOTE = ActionType(
    name="pagerduty.note",
    schema=PagerDutyNoteParams,
    describe=lambda p: (_pagerduty(p), f"Add a note to {_pagerduty(p)}"),
    step_text=lambda p: f"PagerDuty note on incident {p.get('incident_id', '?')}",
    executor=Note(),
    evidence=evidence.own_pagerduty_incident,
    applies=_paged_through_pagerduty,
)

TYPES: tuple[ActionType, ...] = (ROLLOUT_UNDO, SCALE, RESTART, DELETE_POD, SILENCE, ACKNOWLEDGE, RESOLVE, NOTE)
"""Every action type, in the order config and help list them."""

REGISTRY: dict[str, ActionType] = {t.name: t for t in TYPES}


def names() -> tuple[str, ...]:
    return tuple(REGISTRY)


def find(name: str) -> ActionType | None:
    return REGISTRY.get(name)


def describe(name: str, params: dict[str, Any]) -> tuple[str, str]:
    """(target, title) of an action; an unknown type shows its name and raw params."""
    found = find(name)
    if found is None:
        return name, f"{name} {json.dumps(params, sort_keys=True)}"
    return found.describe(params)
