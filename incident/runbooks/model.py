"""The runbook schema: front matter models and the template variables a runbook may use.

Action and Kubernetes-read parameters have their own typed schemas (:mod:`incident.runbooks.params`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from incident.kinds import KINDS
from incident.runbooks.params import ACTION_TYPES, KUBERNETES_READS, did_you_mean

CONTEXT_VARIABLES: dict[str, str] = {
    "component": "the hypothesis' component",
    "kind": "the hypothesis kind",
    "hypothesis": "the hypothesis: kind, component, summary, confidence",
    "paged_component": "the component that was paged (differs from component for a failing dependency)",
    "namespace": "Kubernetes namespace of the component",
    "deployment": "its Deployment",
    "revision": "the Deployment's current revision",
    "previous_revision": "the revision before the last rollout before the page (absent once it was rolled out again)",
    "rolled_out_since": "the revision rolled out after the page (a rollback or a fix), when there was one",
    "replicas": "the Deployment's desired replicas",
    "pod": "a representative failing pod",
    "container": "that pod's failing container",
    "node": "the node of interest (e.g. NotReady)",
    "owner": "the owning team from the catalog",
    "incident_id": "the copilot's incident id",
    "pagerduty_id": "the PagerDuty incident id",
    "alert": "the alert that matched (or the first): alert.labels.<name>",
    "alerts": "every alert of the incident: [{labels: {...}}]",
    "component_label": "the metrics label naming components (metrics.component_label)",
}
"""Top-level template variables; anything else in a runbook template is reported by the checker."""


def _kind(value: str) -> str:
    if value not in KINDS:
        raise ValueError(f"unknown kind '{value}'{did_you_mean(value, KINDS)}")
    return value


def _action_type(value: str) -> str:
    if value not in ACTION_TYPES:
        raise ValueError(f"unknown action type '{value}'{did_you_mean(value, tuple(ACTION_TYPES))}")
    return value


def _read(value: str) -> str:
    if value not in KUBERNETES_READS:
        raise ValueError(f"unknown Kubernetes read '{value}'{did_you_mean(value, tuple(KUBERNETES_READS))}")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Matches(Strict):
    kinds: list[Annotated[str, AfterValidator(_kind)]] = Field(default_factory=list)
    alerts: list[str] = Field(default_factory=list)
    """Alert names (the ``alertname`` label)."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Equality matchers on alert labels; with ``alerts``, the same alert must satisfy both."""

    @model_validator(mode="after")
    def _at_least_one(self) -> Matches:
        if not (self.kinds or self.alerts or self.labels):
            raise ValueError("matches needs at least one of kinds, alerts, labels")
        return self


class KubernetesRead(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    read: Annotated[str, AfterValidator(_read)]

    @property
    def args(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Diagnostic(Strict):
    promql: str | None = None
    kubernetes: KubernetesRead | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Diagnostic:
        if (self.promql is None) == (self.kubernetes is None):
            raise ValueError("a diagnostic has exactly one of promql, kubernetes")
        return self


class Action(Strict):
    type: Annotated[str, AfterValidator(_action_type)]
    params: dict[str, Any] = Field(default_factory=dict)


class StepSpec(Strict):
    """A step as a runbook's front matter writes it (rendered into a :class:`incident.runbooks.step.Step`)."""

    title: str | None = None
    why: str | None = None
    text: str | None = None
    diagnostic: Diagnostic | None = None
    action: Action | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> StepSpec:
        found = [name for name in ("text", "diagnostic", "action") if getattr(self, name) is not None]
        if len(found) != 1:
            raise ValueError(
                f"a step has exactly one of text, diagnostic, action (found: {', '.join(found) or 'none'})"
            )
        return self

    @property
    def type(self) -> Literal["text", "diagnostic", "action"]:
        return "text" if self.text is not None else "diagnostic" if self.diagnostic is not None else "action"


class Runbook(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=1)
    matches: Matches
    components: list[str] = Field(default_factory=list)
    """When set, the runbook only applies to these components."""
    severity: str | None = None
    steps: list[StepSpec] = Field(min_length=1)

    _path: Path | None = PrivateAttr(default=None)
    _line: int = PrivateAttr(default=1)
    _body: str = PrivateAttr(default="")

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def line(self) -> int:
        """Line of the ``id`` key in the file."""
        return self._line

    @property
    def body(self) -> str:
        """The Markdown below the front matter, shown as is (never rendered as a template)."""
        return self._body

    def located(self, path: Path, line: int, body: str) -> Runbook:
        self._path, self._line, self._body = path, line, body
        return self


SCHEMA_KEYS: tuple[str, ...] = tuple(
    sorted(
        {name for model in (Runbook, Matches, StepSpec, Diagnostic, Action) for name in model.model_fields} | {"read"}
    )
)
"""Every key the front matter knows, for "did you mean" on unknown keys."""
