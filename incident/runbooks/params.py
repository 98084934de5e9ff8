"""Typed parameters of runbook actions and Kubernetes reads, and their load-time check.

Parameters are checked twice: at load time for literal values (templated ones cannot be known
yet, :func:`param_problems`), and after rendering for everything
(:func:`incident.runbooks.match.render_step`). Names are validated so that text coming from an
alert can never turn into a ready action with an odd target.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter

from incident.config import parse_duration

TEMPLATE_MARKERS = ("{{", "{%", "{#")


def is_template(value: Any) -> bool:
    """A runbook string with Jinja markers, or a list/dict holding one."""
    if isinstance(value, str):
        return any(m in value for m in TEMPLATE_MARKERS)
    if isinstance(value, dict):
        return any(is_template(v) for v in value.values())
    if isinstance(value, list):
        return any(is_template(v) for v in value)
    return False


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_OBJECT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PD_ID = re.compile(r"^[A-Za-z0-9]{1,64}$")


def _pattern(regex: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not regex.match(value):
            raise ValueError(f"{value!r} is not a valid {what}")
        return value

    return AfterValidator(check)


def _silence_duration(value: str) -> str:
    seconds = parse_duration(value).total_seconds()
    if not 60 <= seconds <= 86400:
        raise ValueError(f"silence duration {value!r} must be between 1m and 24h")
    return value


def _matchers(value: dict[str, str]) -> dict[str, str]:
    if not value:
        raise ValueError("at least one matcher")
    bad = [k for k in value if not _LABEL_NAME.match(k)]
    if bad:
        raise ValueError(f"not label names: {', '.join(bad)}")
    return value


Namespace = Annotated[str, _pattern(_NAMESPACE, "namespace")]
ObjectName = Annotated[str, _pattern(_OBJECT_NAME, "Kubernetes object name")]
PagerDutyId = Annotated[str, _pattern(_PD_ID, "PagerDuty incident id")]
SilenceDuration = Annotated[str, AfterValidator(_silence_duration)]
Matchers = Annotated[dict[str, str], AfterValidator(_matchers)]


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RolloutUndoParams(Params):
    namespace: Namespace
    deployment: ObjectName
    to_revision: int | None = Field(default=None, ge=1)


class ScaleParams(Params):
    namespace: Namespace
    deployment: ObjectName
    replicas: int = Field(ge=0, le=1000)


class RestartParams(Params):
    namespace: Namespace
    deployment: ObjectName


class DeletePodParams(Params):
    namespace: Namespace
    pod: ObjectName


class SilenceParams(Params):
    matchers: Matchers
    duration: SilenceDuration
    comment: str = Field(min_length=1)


class PagerDutyIncidentParams(Params):
    incident_id: PagerDutyId


class PagerDutyNoteParams(Params):
    incident_id: PagerDutyId
    content: str = Field(min_length=1)


ACTION_TYPES: dict[str, type[Params]] = {
    "kubernetes.rollout_undo": RolloutUndoParams,
    "kubernetes.scale": ScaleParams,
    "kubernetes.restart": RestartParams,
    "kubernetes.delete_pod": DeletePodParams,
    "alertmanager.silence": SilenceParams,
    "pagerduty.acknowledge": PagerDutyIncidentParams,
    "pagerduty.resolve": PagerDutyIncidentParams,
    "pagerduty.note": PagerDutyNoteParams,
}
"""Every action a runbook may propose, with its parameter schema. Proposals only: executing
them (dry-run, approval, audit) is the actions layer's job."""


class ScopedRead(Params):
    namespace: Namespace | None = None
    component: str | None = None


class EventsRead(ScopedRead):
    warning_only: bool = True


class LogsRead(Params):
    namespace: Namespace
    pod: ObjectName
    container: str | None = None
    previous: bool = False


class RolloutHistoryRead(Params):
    namespace: Namespace
    deployment: ObjectName


class NodesRead(Params):
    pass


KUBERNETES_READS: dict[str, type[Params]] = {
    "pods": ScopedRead,
    "deployments": ScopedRead,
    "events": EventsRead,
    "logs": LogsRead,
    "rollout_history": RolloutHistoryRead,
    "nodes": NodesRead,
}


def param_problems(schema: type[Params], params: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """Load-time check of ``params``: unknown and missing names, and literal values against their
    field type. Templated values are checked after rendering instead."""
    fields = schema.model_fields
    problems: list[tuple[tuple[str, ...], str]] = []
    for name, value in params.items():
        if name not in fields:
            problems.append(((name,), f"unknown parameter '{name}'{did_you_mean(name, tuple(fields))}"))
        elif not is_template(value):
            info = fields[name]
            hint: Any = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
            adapter: TypeAdapter[Any] = TypeAdapter(hint)
            try:
                adapter.validate_python(value)
            except ValueError as exc:
                problems.append(((name,), _first_error(exc)))
    for name, info in fields.items():
        if info.is_required() and name not in params:
            problems.append(((), f"missing required parameter '{name}'"))
    return problems


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    msg = errors()[0]["msg"] if callable(errors) else str(exc)
    return msg.removeprefix("Value error, ")
