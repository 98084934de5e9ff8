"""Typed views of the ``details`` of the timeline event kinds other packages read.

Gathering and intake write ``TimelineEvent.details`` as JSON; analysis, postmortems, the agent and
the actions layer read them through these models instead of ``details.get("...")``. Every field has
a default and unknown keys are kept, so details written by an older version still read. A time is a
``datetime`` before the event is stored and ISO text after: read it with
:func:`incident.analysis.timing.parse_time`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

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
        return cls.parse(event.details)

    @classmethod
    def parse(cls, raw: Mapping[str, Any] | None) -> Self:
        """Stored details (a JSON object) as this model, read as :meth:`of` reads an event's."""
        raw = raw if isinstance(raw, Mapping) else {}
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
    component: str | None = None
    """Set by change sources that name the component rather than the event."""
    diff: dict[str, Any] = Field(default_factory=dict)
    """Kubernetes rollouts: what changed since the previous revision (``images``: container ->
    ``{from, to}``, ``env``, ``config_refs``)."""


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


class SubjectDetails(Details):
    """The Kubernetes object an event of any cluster kind concerns (rollouts and Deployments name
    ``deployment``, pods ``pod``, Warning events ``object_name``): for readers that match events of
    several kinds against one object."""

    deployment: str | None = None
    pod: str | None = None
    object_name: str | None = None


class NoteDetails(Details):
    """``note``: a remark on the timeline; ``author`` names the person behind a note a system source
    carries (a note written through PagerDuty, say)."""

    author: str | None = None


class ActionEventDetails(Details):
    """``action``: an audit-log entry of an action, mirrored on the timeline (with the entry's own
    detail keys: ``result``, ``error``, ``reason``...)."""

    action_id: str | None = None
    type: str | None = None
    target: str | None = None
    what: str | None = None
    """approved, executing, succeeded, failed, refused, rejected, reconciled..."""
    who: str | None = None


class HypothesisEventDetails(Details):
    """``hypothesis``: a hypothesis ranked (``rank``, ``kind``, ``confidence``, ``evidence``), a
    verdict on one (``verdict``, ``by``, ``note``), or one the agent's judge dropped (``status``, ``judge``)."""

    hypothesis_id: str | None = None
    rank: int | None = None
    kind: str | None = None
    confidence: float | None = None
    evidence: list[str] = Field(default_factory=list)
    verdict: str | None = None
    by: str | None = None
    note: str | None = None
    status: str | None = None
    judge: dict[str, Any] | None = None


class ConnectorErrorDetails(Details):
    """``connector_error``: a connector failed while gathering (``recovered_at`` once it answered again)."""

    error: str | None = None
    seconds: float | None = None
    at: Stamp = None
    recovered_at: Stamp = None


class TopologyDetails(Details):
    """``topology``: which component is behind an address, what each caller's env values name, and
    which components run on each node (:mod:`incident.gathering.topology`). Entries that are not
    text are left out one by one, the rest of the map still reads."""

    addresses: dict[str, str] = Field(default_factory=dict)
    """Address (IP or host name) -> component."""
    env_refs: dict[str, list[str]] = Field(default_factory=dict)
    """Caller component -> the components its env values name."""
    nodes: dict[str, list[str]] = Field(default_factory=dict)
    """Node -> the components with pods on it."""
    dropped_addresses: dict[str, Any] = Field(default_factory=dict)
    errors: list[str] = Field(default_factory=list)
    partial: str | None = None

    @field_validator("addresses", mode="before")
    @classmethod
    def _text_pairs(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}

    @field_validator("env_refs", "nodes", mode="before")
    @classmethod
    def _text_lists(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        return {k: [x for x in v if isinstance(x, str)] for k, v in value.items() if isinstance(v, list | tuple)}


class SuppressionDetails(Details):
    """The ``note`` intake keeps on one alert instance's Alertmanager state (key ``alert-state/...``):
    the silences and inhibiting alerts holding back its notifications, and how often that changed."""

    suppressed: bool = False
    silenced_by: list[dict[str, Any]] = Field(default_factory=list)
    """``id``, ``created_by``, ``ends_at``, ``comment`` of each silence."""
    inhibited_by: list[str] = Field(default_factory=list)
    """Fingerprints of the inhibiting alerts."""
    fingerprint: str | None = None
    starts_at: Stamp = None
    changes: int = 0

    @field_validator("silenced_by", mode="before")
    @classmethod
    def _objects(cls, value: Any) -> Any:
        return [s for s in value if isinstance(s, Mapping)] if isinstance(value, list | tuple) else value

    @field_validator("inhibited_by", mode="before")
    @classmethod
    def _texts(cls, value: Any) -> Any:
        return [str(i) for i in value] if isinstance(value, list | tuple) else value

    @property
    def state(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(silence ids, inhibiting fingerprints), sorted: what a change of state is judged on."""
        return tuple(sorted(str(s.get("id")) for s in self.silenced_by)), tuple(sorted(self.inhibited_by))


class MemoryDetails(Details):
    """``memory``: a similar past incident (an :class:`incident.memory.model.Match`, dumped as JSON)."""

    past_incident_id: int | None = None
    title: str | None = None
    status: str | None = None
    score: float | None = None
    reasons: list[str] = Field(default_factory=list)
    resolved_by: dict[str, Any] = Field(default_factory=dict)
    """``actions``, ``accepted`` (confirmed causes) and ``postmortem`` of the past incident."""


class OwnershipDetails(Details):
    """``ownership``: the catalog entry of a component."""

    component: str | None = None
    owner: str | None = None


class HypothesisDetails(Details):
    """A hypothesis' own ``details`` (a row's or a draft's, not a timeline event's): the analyzer's
    score breakdown, team memory's adjustment, the agent's cited tool results and judge."""

    why: dict[str, Any] | None = None
    """Score, terms, relevance, onset, what it explains (:mod:`incident.explain` reads it)."""
    memory: dict[str, Any] | None = None
    """How verdicts on similar past incidents moved the confidence (``delta``, ``prior``, ``because``...)."""
    tool_results: dict[str, Any] = Field(default_factory=dict)
    """``tr_...`` evidence id -> the tool call's result, for agent hypotheses."""
    judge: dict[str, Any] | None = None


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
    "note": NoteDetails,
    "action": ActionEventDetails,
    "hypothesis": HypothesisEventDetails,
    "connector_error": ConnectorErrorDetails,
    "topology": TopologyDetails,
    "memory": MemoryDetails,
}
"""Event kind -> its details model; other kinds read as :class:`Details`."""


class _Event(_HasDetails, Protocol):
    @property
    def kind(self) -> str: ...


def details_of(event: _Event) -> Details:
    """The details of ``event`` as its kind's model (narrow with ``isinstance``, or call ``Model.of``)."""
    return MODELS.get(str(event.kind), Details).of(event)
