"""The plain records connectors return: frozen dataclasses of plain values (UTC-aware datetimes,
str, numbers, dicts), so the pipeline can store them, compare them and hand them to an LLM without
vendor types. The core reads them through :mod:`connectors.base`, which re-exports every name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class CheckResult:
    """Outcome of a connector's ``check()``: ok, or the reason it is not."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class AlertRecord:
    """An alert from Alertmanager or PagerDuty, normalised."""

    source: str
    """``alertmanager`` or ``pagerduty``."""
    fingerprint: str
    """Alertmanager fingerprint, or the PagerDuty alert id."""
    name: str
    """``alertname`` label, or the PagerDuty alert summary."""
    status: str
    """``firing`` / ``resolved`` (Alertmanager), ``triggered`` / ``resolved`` (PagerDuty)."""
    starts_at: datetime
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    ends_at: datetime | None = None
    severity: str | None = None
    generator_url: str | None = None
    incident_ref: str | None = None
    """PagerDuty incident id this alert belongs to, when known."""
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class PagerDutyIncident:
    id: str
    title: str
    status: str
    """``triggered``, ``acknowledged`` or ``resolved``."""
    created_at: datetime
    number: int | None = None
    urgency: str | None = None
    priority: str | None = None
    service_id: str | None = None
    service_name: str | None = None
    html_url: str | None = None
    assignees: tuple[str, ...] = ()
    escalation_policy: str | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class LogEntry:
    """A PagerDuty incident log entry (trigger, acknowledge, notify, annotate, ...)."""

    id: str
    type: str
    at: datetime
    summary: str
    agent: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class ChangeRecord:
    """A deploy or config change from any source (PagerDuty change events, rollouts, ConfigMaps)."""

    id: str
    source: str
    kind: str
    """``deploy`` or ``config_change``."""
    at: datetime
    summary: str
    component: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MetricSeries:
    """One signal of one component over a window; ``points`` are (unix seconds, value)."""

    signal: str
    component: str
    query: str
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class ContainerState:
    name: str
    image: str
    ready: bool
    restart_count: int
    state: str
    """``running``, ``waiting``, ``terminated`` or ``unknown``."""
    reason: str | None = None
    message: str | None = None
    exit_code: int | None = None
    started_at: datetime | None = None
    last_state: str | None = None
    """State of the previous instance (``terminated`` after a crash)."""
    last_reason: str | None = None
    last_exit_code: int | None = None
    last_finished_at: datetime | None = None
    limits: dict[str, str] = field(default_factory=dict)
    requests: dict[str, str] = field(default_factory=dict)
    init: bool = False


@dataclass(frozen=True)
class PodInfo:
    namespace: str
    name: str
    component: str | None
    phase: str
    ready: bool
    created_at: datetime | None
    node: str | None = None
    owner: str | None = None
    """``ReplicaSet/<name>`` or other owner reference."""
    containers: tuple[ContainerState, ...] = ()
    conditions: tuple[dict[str, Any], ...] = ()
    """Pod conditions: type, status, reason, message, last_transition (ISO string)."""
    labels: dict[str, str] = field(default_factory=dict)
    ip: str | None = None
    """``status.podIP`` (None before the pod has one)."""
    hostname: str | None = None
    """``spec.hostname``: with ``subdomain``, the pod's own DNS name under a headless Service."""
    subdomain: str | None = None

    @property
    def restarts(self) -> int:
        return sum(c.restart_count for c in self.containers)


@dataclass(frozen=True)
class KubeEvent:
    namespace: str
    uid: str
    type: str
    """``Normal`` or ``Warning``."""
    reason: str
    message: str
    object_kind: str
    object_name: str
    count: int
    first_at: datetime | None
    last_at: datetime | None
    source: str | None = None


@dataclass(frozen=True)
class Revision:
    """One entry of a Deployment's rollout history (a ReplicaSet)."""

    revision: int
    replicaset: str
    created_at: datetime | None
    images: dict[str, str]
    """container -> image"""
    change_cause: str | None = None
    replicas: int = 0
    template_hash: str | None = None
    config_refs: tuple[str, ...] = ()
    """``ConfigMap/<name>`` and ``Secret/<name>`` the pod template references."""
    env: dict[str, str] = field(default_factory=dict)
    """Plain env values of the template (container/NAME -> value; secret refs shown by name)."""


@dataclass(frozen=True)
class DeploymentInfo:
    namespace: str
    name: str
    component: str | None
    replicas: int
    ready_replicas: int
    updated_replicas: int
    available_replicas: int
    revision: int | None
    images: dict[str, str]
    created_at: datetime | None
    conditions: tuple[dict[str, Any], ...] = ()
    revisions: tuple[Revision, ...] = ()
    """Rollout history, newest first, only ReplicaSets created at or before ``until``."""
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceInfo:
    namespace: str
    name: str
    cluster_ips: tuple[str, ...]
    """``spec.clusterIPs`` (or ``clusterIP``); empty for a headless Service."""
    selector: dict[str, str]
    labels: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None


@dataclass(frozen=True)
class EndpointAddress:
    ip: str
    ready: bool
    pod: str | None = None
    """Name of the pod behind the address (``targetRef`` of kind Pod)."""
    hostname: str | None = None


@dataclass(frozen=True)
class EndpointsInfo:
    """The addresses behind a Service (its ``Endpoints`` object, same name)."""

    namespace: str
    name: str
    addresses: tuple[EndpointAddress, ...]


@dataclass(frozen=True)
class WorkloadInfo:
    """A Deployment or StatefulSet and the plain env values of its current pod template."""

    kind: str
    """``Deployment`` or ``StatefulSet``."""
    namespace: str
    name: str
    component: str | None
    env_values: dict[str, str] = field(default_factory=dict, repr=False)
    """container/NAME -> literal ``value`` (may hold credentials: read them, never store them)."""
    service_name: str | None = None
    """StatefulSet ``spec.serviceName``: its pods are ``<pod>.<service_name>.<namespace>.svc``."""


@dataclass(frozen=True)
class NodeInfo:
    name: str
    ready: bool
    conditions: tuple[dict[str, Any], ...]
    """type, status, reason, message, last_transition"""
    unschedulable: bool = False
    taints: tuple[str, ...] = ()
    allocatable: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ContainerLog:
    namespace: str
    pod: str
    container: str
    previous: bool
    text: str
    truncated: bool = False


@dataclass(frozen=True)
class ComponentInfo:
    """A Backstage Component (or Resource) and what the catalog says about it."""

    name: str
    kind: str = "Component"
    owner: str | None = None
    system: str | None = None
    lifecycle: str | None = None
    type: str | None = None
    description: str | None = None
    pagerduty_service: str | None = None
    runbook_url: str | None = None
    links: tuple[dict[str, str], ...] = ()
    depends_on: tuple[str, ...] = ()
    """Names (without ``component:`` prefixes or namespaces) of what this depends on."""
    kubernetes_id: str | None = None
    namespace: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class GroupInfo:
    name: str
    display_name: str | None = None
    email: str | None = None
    members: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Silence:
    id: str
    state: str
    """``active``, ``pending`` or ``expired``."""
    matchers: dict[str, str]
    """Equality matchers; regex or negative ones are shown as ``=~value`` / ``!=value``."""
    starts_at: datetime | None
    ends_at: datetime | None
    created_by: str = ""
    comment: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Suppression:
    """Why Alertmanager holds back an alert's notifications (empty when it does not)."""

    silenced_by: tuple[Silence, ...] = ()
    """The silences muting it (an id Alertmanager names but no longer lists has only its id)."""
    inhibited_by: tuple[str, ...] = ()
    """Fingerprints of the alerts inhibiting it."""

    @property
    def suppressed(self) -> bool:
        return bool(self.silenced_by or self.inhibited_by)


@dataclass(frozen=True)
class RejectedAlert:
    """An alert that failed validation: kept raw (as ASCII JSON text) with the reason."""

    reason: str
    raw: str
    fingerprint: str | None = None
    """Alertmanager's own, else computed from the labels when they are readable; None otherwise."""


@dataclass(frozen=True)
class AlertPoll:
    """One unfiltered read of ``GET /api/v2/alerts``: every still-firing alert (silenced and
    inhibited included), what suppresses each, and the alerts that failed validation."""

    alerts: list[AlertRecord] = field(default_factory=list)
    suppression: dict[str, Suppression] = field(default_factory=dict)
    """fingerprint -> suppression, for the suppressed alerts only."""
    rejected: list[RejectedAlert] = field(default_factory=list)


@dataclass(frozen=True)
class WebhookEvent:
    """One PagerDuty v3 webhook delivery. ``incident_id`` is set for every ``incident.*`` event."""

    event_type: str
    """e.g. ``incident.triggered``, ``incident.acknowledged``, ``incident.resolved``."""
    occurred_at: datetime
    incident_id: str | None
    incident_status: str | None
    title: str | None
    service_id: str | None
    id: str | None = None
    """The event's own id (deliveries may repeat; use it to de-duplicate)."""
    resource_type: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_incident(self) -> bool:
        return self.incident_id is not None


class AlertBatch(Protocol):
    """What an alert webhook delivers: the valid alerts and the ones that failed validation."""

    @property
    def alerts(self) -> list[AlertRecord]: ...

    @property
    def rejected(self) -> list[RejectedAlert]: ...


@dataclass(frozen=True)
class WebhookParsers:
    """How the core reads each source's webhook body (:func:`incident.registry.webhook_parsers`
    fills it from the connectors). A parser raises ``WebhookError`` (400) for a malformed body."""

    alertmanager: Callable[[bytes], AlertBatch]
    pagerduty: Callable[[bytes], WebhookEvent]
    pagerduty_signed: Callable[[bytes, str | None, str], bool]
    """(raw body, signature header, secret) -> whether any signature of the header matches."""


@dataclass(frozen=True)
class DeploymentState:
    """A Deployment as an action reads it back: what it runs now and wants to run."""

    namespace: str
    name: str
    revision: int | None
    """``deployment.kubernetes.io/revision`` (None before the controller numbered it)."""
    replicas: int
    """Desired replicas (``spec.replicas``)."""
    restarted_at: str | None = None
    """The pod template's :data:`RESTARTED_AT` annotation, as written (RFC 3339)."""


@dataclass(frozen=True)
class ReplicaSetState:
    namespace: str
    name: str
    revision: int | None
    """The Deployment revision whose pod template this ReplicaSet holds."""


@dataclass(frozen=True)
class PodState:
    namespace: str
    name: str
    uid: str | None
    terminating: bool
    """A deletion is under way (``metadata.deletionTimestamp`` is set)."""
    controller: str | None = None
    """``<Kind> <name>`` of the owner that replaces the pod when it is deleted."""


RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
"""Pod template annotation :meth:`ClusterActions.restart` sets, as ``kubectl rollout restart`` does."""
