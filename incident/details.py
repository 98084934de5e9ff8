"""Typed views of the ``details`` of the timeline event kinds other packages read.

Gathering and intake write ``TimelineEvent.details`` as JSON; analysis, postmortems, the agent and
the actions layer read them through these models instead of ``details.get("...")``. Every field has
a default and unknown keys are kept, so details written by an older version still read. A time is a
``datetime`` before the event is stored and ISO text after: read it with
:func:`incident.analysis.timing.parse_time`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Stamp = datetime | str | None


class _HasDetails(Protocol):
    @property
    def details(self) -> dict[str, Any] | None: ...


class Details(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    namespace: str | None = None

    @classmethod
    def of(cls, event: _HasDetails) -> Self:
        """The event's details as this model; a value of the wrong type (``None`` for a list, say)
        reads as the field's default, as ``details.get(key) or default`` did."""
        raw = event.details or {}
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            bad = {err["loc"][0] for err in exc.errors() if err["loc"]}
            return cls.model_validate({k: v for k, v in raw.items() if k not in bad})


class RolloutDetails(Details):
    """``deploy`` and ``config_change``: a Deployment's rollout (other change sources add their own keys)."""

    deployment: str | None = None
    revision: int | str | None = None
    previous_revision: int | str | None = None
    current_revision: int | str | None = None
    replicaset: str | None = None
    change_cause: str | None = None
    images: list[str] = Field(default_factory=list)


class PodStateDetails(Details):
    """``pod_state``: one pod in trouble, a Deployment short of ready replicas, or a component's pods."""

    pod: str | None = None
    phase: str | None = None
    ready: bool | int | None = None
    """A pod: whether it is ready; a Deployment or a component: how many replicas or pods are."""
    node: str | None = None
    owner: str | None = None
    created_at: Stamp = None
    conditions: list[dict[str, Any]] = Field(default_factory=list)
    containers: list[dict[str, Any]] = Field(default_factory=list)
    deployment: str | None = None
    replicas: int | None = None
    updated: int | None = None
    pods: list[str] = Field(default_factory=list)
    total: int | None = None


class KubeEventDetails(Details):
    """``k8s_event``: Warning events of one object and reason, grouped."""

    object_kind: str | None = None
    object_name: str | None = None
    reason: str | None = ""
    type: str | None = None
    message: str | None = ""
    count: int | None = None
    first_at: Stamp = None
    last_at: Stamp = None


class AlertDetails(Details):
    """``alert``: one alert of the incident."""

    labels: dict[str, Any] = Field(default_factory=dict)
    annotations: dict[str, Any] = Field(default_factory=dict)
    status: str | None = None
    fingerprint: str | None = None
    starts_at: Stamp = None
    ends_at: Stamp = None


class MetricChangeDetails(Details):
    """``metric_change``: a change point in one signal of one component (its metric window: ``window_id``)."""

    signal: str | None = None
    label: str | None = None
    before: float | None = None
    after: float | None = None
    before_text: str | None = None
    after_text: str | None = None
    direction: str | None = None
    score: float | None = None
    onset: Stamp = None
    query: str | None = None
    paged_component: bool | None = None
    window_id: str | None = None


class LogExcerptDetails(Details):
    """``log_excerpt``: the decisive lines of one container's log."""

    pod: str | None = None
    container: str | None = None
    previous: bool = False
    sampled: bool = False
    lines: list[str] = Field(default_factory=list)
    truncated: bool = False


class NodeStateDetails(Details):
    """``node_state``: one bad condition of a node."""

    node: str | None = None
    type: str | None = None
    status: str | None = None
    reason: str | None = None
    message: str | None = None
    last_transition: Stamp = None


class OwnershipDetails(Details):
    """``ownership``: the catalog entry of a component."""

    component: str | None = None
    owner: str | None = None


MODELS: dict[str, type[Details]] = {
    "deploy": RolloutDetails,
    "config_change": RolloutDetails,
    "pod_state": PodStateDetails,
    "k8s_event": KubeEventDetails,
    "alert": AlertDetails,
    "metric_change": MetricChangeDetails,
    "log_excerpt": LogExcerptDetails,
    "node_state": NodeStateDetails,
    "ownership": OwnershipDetails,
}
"""Event kind -> its details model; other kinds read as :class:`Details`."""


class _Event(_HasDetails, Protocol):
    @property
    def kind(self) -> str: ...


def details_of(event: _Event) -> Details:
    """The details of ``event`` as its kind's model (narrow with ``isinstance``, or call ``Model.of``)."""
    return MODELS.get(str(event.kind), Details).of(event)
