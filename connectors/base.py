"""Protocols every connector implements; the plain records they return live in
:mod:`connectors.records` and are re-exported here, so the core imports one module.

Every connector method raises only :class:`connectors.common.errors.ConnectorError` subclasses:
vendor exceptions are wrapped at the boundary (``raise ConnectorError(...) from exc``).
Methods that read history take an explicit ``until`` (the incident's page time) and never
return data stamped after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from connectors.records import (
    RESTARTED_AT,
    AlertBatch,
    AlertPoll,
    AlertRecord,
    ChangeRecord,
    CheckResult,
    ComponentInfo,
    ContainerLog,
    ContainerState,
    DeploymentInfo,
    DeploymentState,
    EndpointAddress,
    EndpointsInfo,
    GroupInfo,
    KubeEvent,
    LogEntry,
    MetricSeries,
    NodeInfo,
    PagerDutyIncident,
    PodInfo,
    PodState,
    RejectedAlert,
    ReplicaSetState,
    Revision,
    ServiceInfo,
    Silence,
    Suppression,
    WebhookEvent,
    WebhookParsers,
    WorkloadInfo,
)

__all__ = [
    "AlertBatch",
    "AlertPoll",
    "AlertPolling",
    "AlertRecord",
    "AlertSource",
    "CatalogSource",
    "ChangeRecord",
    "CheckResult",
    "ClusterActions",
    "ClusterBatches",
    "ClusterSource",
    "ComponentInfo",
    "Connector",
    "ContainerLog",
    "ContainerState",
    "DeploymentInfo",
    "DeploymentState",
    "EndpointAddress",
    "EndpointsInfo",
    "GroupInfo",
    "KubeEvent",
    "LogEntry",
    "MetricSeries",
    "MetricsSource",
    "NodeInfo",
    "PagerDutyIncident",
    "PagingActions",
    "PagingSource",
    "PagingTarget",
    "PartialMetrics",
    "PodInfo",
    "PodState",
    "RESTARTED_AT",
    "RejectedAlert",
    "ReplicaSetState",
    "Revision",
    "ServiceInfo",
    "Silence",
    "SilenceActions",
    "SilenceTarget",
    "Suppression",
    "WebhookEvent",
    "WebhookParsers",
    "WorkloadInfo",
    "poll_of",
]


@runtime_checkable
class Connector(Protocol):
    name: str

    def check(self) -> CheckResult:
        """Say whether the connector can reach its system, and why not when it cannot."""
        ...


@runtime_checkable
class AlertSource(Connector, Protocol):
    def active_alerts(self) -> list[AlertRecord]: ...


@runtime_checkable
class PagingSource(Connector, Protocol):
    def open_incidents(self) -> list[PagerDutyIncident]:
        """Triggered and acknowledged incidents (all pages)."""
        ...

    def incident(self, incident_id: str) -> PagerDutyIncident: ...

    def incident_alerts(self, incident_id: str) -> list[AlertRecord]: ...

    def log_entries(self, incident_id: str, *, until: datetime) -> list[LogEntry]: ...

    def change_events(self, *, since: datetime, until: datetime) -> list[ChangeRecord]: ...


@runtime_checkable
class PagingActions(Protocol):
    def acknowledge(self, incident_id: str) -> None: ...

    def resolve(self, incident_id: str) -> None: ...

    def add_note(self, incident_id: str, content: str) -> None: ...


@runtime_checkable
class SilenceActions(Protocol):
    def create_silence(
        self,
        *,
        matchers: dict[str, str],
        starts_at: datetime,
        ends_at: datetime,
        created_by: str,
        comment: str,
    ) -> str:
        """Create a silence of equality matchers; return its id."""
        ...

    def expire_silence(self, silence_id: str) -> None: ...

    def silences(self) -> list[Silence]:
        """Every silence the server knows (active, pending and recently expired)."""
        ...


@runtime_checkable
class PagingTarget(PagingActions, Protocol):
    """What the PagerDuty actions need: the writes, and the incident read that dry-runs and reads them back."""

    def incident(self, incident_id: str) -> PagerDutyIncident: ...


@runtime_checkable
class SilenceTarget(SilenceActions, Protocol):
    """What the silence action needs: the silences, and the firing alerts a new one would mute."""

    def active_alerts(self) -> list[AlertRecord]: ...


@runtime_checkable
class AlertPolling(AlertSource, Protocol):
    """An alert source that also says what suppresses each alert (Alertmanager)."""

    def poll(self) -> AlertPoll: ...


def poll_of(source: AlertSource) -> AlertPoll:
    """An :class:`AlertPoll` from any alert source (one without suppression data lists alerts only)."""
    if isinstance(source, AlertPolling):
        return source.poll()
    return AlertPoll(alerts=source.active_alerts())


@runtime_checkable
class MetricsSource(Connector, Protocol):
    def query_signals(
        self, signals: dict[str, str], *, start: datetime, end: datetime, step_seconds: float
    ) -> list[MetricSeries]:
        """Range-query every signal; one series per component (the configured component label)."""
        ...


@runtime_checkable
class PartialMetrics(Protocol):
    """A metrics source that answers with the signals that worked and says why the others failed."""

    last_errors: dict[str, str]
    """Signal -> error of the last ``query_signals`` call, for the signals that failed."""


@runtime_checkable
class ClusterSource(Connector, Protocol):
    def pods(self, component: str, *, namespace: str | None = None) -> list[PodInfo]: ...

    def deployments(self, component: str, *, namespace: str | None = None, until: datetime) -> list[DeploymentInfo]: ...

    def events(
        self, *, namespace: str | None, since: datetime, until: datetime, warning_only: bool = True
    ) -> list[KubeEvent]: ...

    def nodes(self) -> list[NodeInfo]: ...

    def logs(self, namespace: str, pod: str, container: str, *, previous: bool = False) -> ContainerLog: ...

    def config_changes(self, *, namespace: str | None, since: datetime, until: datetime) -> list[ChangeRecord]:
        """ConfigMap/Secret writes in the window (from ``metadata.managedFields[].time``)."""
        ...

    def all_pods(self, *, namespace: str | None = None, limit: int | None = None) -> list[PodInfo]:
        """Every pod of the namespace (else of the configured namespaces, else of the cluster);
        the first ``limit`` only, when given (a cluster-wide list can be huge)."""
        ...

    def services(self, *, namespace: str | None = None) -> list[ServiceInfo]: ...

    def endpoints(self, *, namespace: str | None = None) -> list[EndpointsInfo]: ...

    def workloads(self, *, namespace: str | None = None) -> list[WorkloadInfo]:
        """Deployments and StatefulSets with their current pod template's plain env values."""
        ...


@runtime_checkable
class ClusterBatches(Protocol):
    """:class:`ClusterSource` reads of several components at once (one list call per label key or
    namespace, where asking per component would repeat it)."""

    def pods_of(self, components: Sequence[str], *, namespace: str | None = None) -> dict[str, list[PodInfo]]: ...

    def deployments_of(
        self, components: Sequence[str], *, namespace: str | None = None, until: datetime
    ) -> dict[str, list[DeploymentInfo]]: ...


@runtime_checkable
class CatalogSource(Connector, Protocol):
    def components(self) -> list[ComponentInfo]: ...

    def groups(self) -> list[GroupInfo]: ...


@runtime_checkable
class ClusterActions(Protocol):
    """The write side of a cluster, and the reads that tell whether a write landed.

    Every write takes ``dry_run``: the API server validates the change and answers with the
    would-be object without storing it. Writes answer a JSON-ready dict (kept as the action's dry
    run and result): ``namespace``, the target's name and ``dry_run``, plus per method:

    - :meth:`rollout_undo`: ``from_revision``, ``to_revision``, ``replicaset``, ``image_changes``
      (container -> ``{"from", "to"}``), ``changed``; when it changed, ``revision_after`` and ``images_after``.
    - :meth:`scale`: ``from_replicas``, ``to_replicas``.
    - :meth:`restart`: ``restarted_at`` (the :data:`RESTARTED_AT` value), ``generation``.
    - :meth:`delete_pod`: ``uid``.

    Failures are :class:`connectors.common.errors.ConnectorError`; one the API server answered
    carries its ``http_status`` (404: no such object, 409: a conflicting change, ...).
    """

    def read_deployment(self, namespace: str, name: str) -> DeploymentState: ...

    def read_replica_set(self, namespace: str, name: str) -> ReplicaSetState: ...

    def read_pod(self, namespace: str, name: str) -> PodState: ...

    def rollout_undo(
        self, namespace: str, deployment: str, to_revision: int | None = None, dry_run: bool = False
    ) -> dict[str, Any]:
        """Put the pod template of an earlier revision back (default: the one before the current)."""
        ...

    def scale(self, namespace: str, deployment: str, replicas: int, dry_run: bool = False) -> dict[str, Any]: ...

    def restart(self, namespace: str, deployment: str, dry_run: bool = False) -> dict[str, Any]: ...

    def delete_pod(self, namespace: str, pod: str, dry_run: bool = False) -> dict[str, Any]: ...
