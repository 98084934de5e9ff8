"""SQLAlchemy 2.0 models of the store, and the enums they use.

All times are stored as UTC and read back timezone-aware (:class:`UTCDateTime`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from incident import clock


def utcnow() -> datetime:
    """The copilot's "now" (:func:`incident.clock.now`: shifted in a scenario replay)."""
    return clock.now()


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class IncidentStatus(StrEnum):
    triggered = "triggered"
    acknowledged = "acknowledged"
    resolved = "resolved"


class EventKind(StrEnum):
    alert = "alert"
    incident_state = "incident_state"
    metric_change = "metric_change"
    pod_state = "pod_state"
    k8s_event = "k8s_event"
    deploy = "deploy"
    config_change = "config_change"
    node_state = "node_state"
    log_excerpt = "log_excerpt"
    ownership = "ownership"
    pagerduty_log = "pagerduty_log"
    change_event = "change_event"
    note = "note"
    connector_error = "connector_error"
    hypothesis = "hypothesis"
    action = "action"
    memory = "memory"
    """A similar past incident and what resolved it (:mod:`incident.memory`)."""
    postmortem = "postmortem"
    topology = "topology"
    """Addresses -> components, env references and pod placement (:mod:`incident.gathering.topology`)."""


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dedup_key: Mapped[str] = mapped_column(String(255), unique=True)
    """``pagerduty:<incident id>`` or ``alertmanager:<component>:<first fingerprint>:<its startsAt, unix s>``
    (stores older than 0005 also hold ``alertmanager:<component>:<fingerprint>``)."""
    source: Mapped[str] = mapped_column(String(32))
    source_ref: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=IncidentStatus.triggered)
    severity: Mapped[str | None] = mapped_column(String(32))
    component: Mapped[str | None] = mapped_column(String(255), index=True)
    namespace: Mapped[str | None] = mapped_column(String(255))
    owner: Mapped[str | None] = mapped_column(String(255))
    """Owning team, from the catalog."""
    oncall: Mapped[str | None] = mapped_column(Text)
    """Who PagerDuty has assigned (comma-separated), when the page came through PagerDuty."""
    pagerduty_service: Mapped[str | None] = mapped_column(String(64))
    page_at: Mapped[datetime]
    """When the page fired: the "now" of every window computed for this incident."""
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    gathered_at: Mapped[datetime | None]
    """Wall-clock time of the last complete gathering."""
    analysed_at: Mapped[datetime | None]
    """Wall-clock time the analyzer last ran (found something or not); before ``gathered_at``: due."""

    alerts: Mapped[list[Alert]] = relationship(back_populates="incident", order_by="Alert.starts_at")
    events: Mapped[list[TimelineEvent]] = relationship(
        back_populates="incident", order_by="(TimelineEvent.at, TimelineEvent.id)"
    )


class Alert(Base):
    """One firing of an alert: Alertmanager names an alert by its label fingerprint, and the same
    alert firing again after it resolved is a new instance (a new ``starts_at``) and a new row."""

    __tablename__ = "alerts"
    __table_args__ = (
        # its index also serves the lookups by (source, fingerprint), latest starts_at first
        UniqueConstraint("source", "fingerprint", "starts_at", name="uq_alerts_instance"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(32))
    fingerprint: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    component: Mapped[str | None] = mapped_column(String(255))
    severity: Mapped[str | None] = mapped_column(String(32))
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    annotations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    incident: Mapped[Incident] = relationship(back_populates="alerts")


class TimelineEvent(Base):
    __tablename__ = "timeline_events"
    __table_args__ = (Index("ix_timeline_incident_at", "incident_id", "at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    """Stable id derived from (incident, kind, natural key): refreshes update, never duplicate."""
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    component: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    incident: Mapped[Incident] = relationship(back_populates="events")


class Group(Base):
    """An owning team from the catalog."""

    __tablename__ = "groups"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    display_name: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Component(Base):
    """A catalog component: who owns it, what it depends on, where its runbook is."""

    __tablename__ = "components"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(255))
    system: Mapped[str | None] = mapped_column(String(255))
    lifecycle: Mapped[str | None] = mapped_column(String(64))
    type: Mapped[str | None] = mapped_column(String(64))
    pagerduty_service: Mapped[str | None] = mapped_column(String(64))
    runbook_url: Mapped[str | None] = mapped_column(Text)
    links: Mapped[list[Any]] = mapped_column(default=list)
    depends_on: Mapped[list[Any]] = mapped_column(default=list)
    source: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Change(Base):
    """A deploy or config change seen on a component (rollouts, PagerDuty change events)."""

    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_component_at", "component", "at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    component: Mapped[str | None] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class MetricWindow(Base):
    """One signal of one component over the incident's window, as gathered (evidence ``mw_...``)."""

    __tablename__ = "metric_windows"
    __table_args__ = (Index("ix_metric_windows_incident", "incident_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    component: Mapped[str] = mapped_column(String(255))
    signal: Mapped[str] = mapped_column(String(64))
    query: Mapped[str] = mapped_column(Text)
    start: Mapped[datetime]
    end: Mapped[datetime]
    step_seconds: Mapped[float]
    points: Mapped[list[Any]] = mapped_column(default=list)
    """[[unix seconds, value], ...]"""
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Hypothesis(Base):
    """A ranked explanation from the analyzer or the agent, with its evidence."""

    __tablename__ = "hypotheses"
    __table_args__ = (Index("ix_hypotheses_incident", "incident_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))
    """``analyzer`` or ``agent``."""
    rank: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(32))
    component: Mapped[str] = mapped_column(String(255))
    confidence: Mapped[float]
    summary: Mapped[str] = mapped_column(Text)
    refutation: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[list[Any]] = mapped_column(default=list)
    steps: Mapped[list[Any]] = mapped_column(default=list)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    """proposed, confirmed, rejected (by a person), dropped (superseded or refused by the judge)."""
    verdict_by: Mapped[str | None] = mapped_column(String(255))
    """Who marked it confirmed or wrong (see :mod:`incident.feedback`)."""
    verdict_at: Mapped[datetime | None]
    verdict_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActionStatus(StrEnum):
    proposed = "proposed"
    approved = "approved"
    executing = "executing"
    succeeded = "succeeded"
    failed = "failed"
    rejected = "rejected"
    unknown = "unknown"
    """Sent, but the outcome could not be read back (a timeout, a crash); never retried by itself."""


class Action(Base):
    """A change to production proposed by a runbook step; nothing runs before a person approves it.

    The id hashes (incident, type, canonical params), so proposing the same step twice is a no-op.
    """

    __tablename__ = "actions"
    __table_args__ = (Index("ix_actions_incident", "incident_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    hypothesis_id: Mapped[str | None] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(64))
    """One of :data:`incident.runbooks.params.ACTION_TYPES`, e.g. ``kubernetes.rollout_undo``."""
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    target: Mapped[str] = mapped_column(Text)
    """What it acts on, for people: ``deployment shop/checkout``."""
    namespace: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ActionStatus.proposed)
    allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    disallowed_reason: Mapped[str | None] = mapped_column(Text)
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(255))
    approved_at: Mapped[datetime | None]
    executed_by: Mapped[str | None] = mapped_column(String(255))
    executed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    dry_run: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The server-side dry run made just before executing (stored before the real call)."""
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    approval_digest: Mapped[str | None] = mapped_column(String(64))
    """sha256 of (type, target, canonical params) as approved; execution recomputes it and refuses a mismatch."""


class AuditEntry(Base):
    """One line of the append-only audit log (database triggers refuse updates and deletes).

    No foreign keys: the log outlives anything it mentions.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_incident", "incident_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    incident_id: Mapped[int]
    action_id: Mapped[str | None] = mapped_column(String(40))
    who: Mapped[str] = mapped_column(String(255))
    what: Mapped[str] = mapped_column(String(16))
    """approved, executing, succeeded, failed, rejected, reconciled, expired or refused."""
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    """``row_hash`` of the row before (by id); None on the first row."""
    row_hash: Mapped[str | None] = mapped_column(String(64))
    """sha256 over this row's content and ``prev_hash`` (:mod:`incident.actions.chain`)."""


class QuarantinedAlert(Base):
    """An alert that failed validation, kept raw with the reason so the rest of its poll or batch proceeds."""

    __tablename__ = "quarantined_alerts"
    __table_args__ = (Index("ix_quarantined_alerts_received_at", "received_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(32))
    """``alertmanager`` or ``pagerduty``."""
    channel: Mapped[str] = mapped_column(String(16))
    """``poll`` or ``webhook``."""
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text)
    """The alert as JSON text, truncated to :data:`QUARANTINE_RAW_MAX` characters."""
    fingerprint: Mapped[str | None] = mapped_column(String(255))


QUARANTINE_RAW_MAX = 64 * 1024


class InboxStatus(StrEnum):
    pending = "pending"
    done = "done"
    failed = "failed"


class InboxItem(Base):
    """A webhook payload committed before it is acknowledged, then processed idempotently."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(32))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default=InboxStatus.pending)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    processed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class Pin(Base):
    """A timeline event someone pinned: shown first in the TUI and in the postmortem's timeline."""

    __tablename__ = "pins"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    who: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Postmortem(Base):
    """A generated postmortem draft, kept so team memory can link to it."""

    __tablename__ = "postmortems"
    __table_args__ = (Index("ix_postmortems_incident", "incident_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    who: Mapped[str] = mapped_column(String(255))
    mode: Mapped[str] = mapped_column(String(16))
    """``deterministic`` or ``claude`` (prose rewritten by the model and checked by the judge)."""
    path: Mapped[str | None] = mapped_column(Text)
    """Where it was written (``-o FILE`` or the TUI export), when it was."""
    markdown: Mapped[str] = mapped_column(Text)
