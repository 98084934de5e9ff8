"""Typed parameters of Kubernetes reads, and the load-time check of runbook parameters.

Action parameter schemas live with their action type (:mod:`incident.actions.types`). Parameters
are checked twice: at load time for literal values (templated ones cannot be known yet,
:func:`param_problems`), and after rendering for everything (:func:`incident.runbooks.match.render_step`).
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from pydantic import TypeAdapter

from incident.actions.params import Namespace, ObjectName, Params
from incident.actions.types import TYPES

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


ACTION_TYPES: dict[str, type[Params]] = {t.name: t.schema for t in TYPES}  # the registry's schemas, by name
"""Every action a runbook may propose, with its parameter schema (from :mod:`incident.actions.types`)."""


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
