"""The postmortem record: plain data read from the store, the only source of every figure in the draft."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class Figure(BaseModel):
    """One metric value at one time (a peak, an onset)."""

    component: str
    signal: str
    value: float
    at: datetime
    text: str
    """The value in human units, as the draft writes it (``15.6%``, ``697 ms``)."""
    label: str
    """The signal for people (``error ratio``, ``p99 latency``)."""


class SloBurn(BaseModel):
    """Error budget the incident consumed on one component with a configured SLO."""

    component: str
    objective: float
    window_seconds: float
    budget_share: float
    """sum(error_ratio * step) over the incident / ((1 - objective) * window)."""
    peak_burn_rate: float
    """peak error ratio / (1 - objective)."""
    points: int
    """How many stored points the sum covers."""
    objective_text: str
    window_text: str
    budget_text: str
    burn_text: str


class Detection(BaseModel):
    first_alert_at: datetime | None = None
    first_alert: str | None = None
    page_at: datetime
    onset: Figure | None = None
    """The earliest metric change on an affected component (its ``after`` value)."""
    onset_at: datetime
    onset_from_metrics: bool = False
    """False: no metric change recorded, the onset is page time - ``metrics.onset_window``."""
    detection_lag: float | None = None
    acknowledged_at: datetime | None = None
    time_to_ack: float | None = None
    mitigated_at: datetime | None = None
    mitigated_by: str | None = None
    """Title of the first succeeded action."""
    time_to_mitigate: float | None = None
    resolved_at: datetime | None = None
    time_to_resolve: float | None = None


class TimelineItem(BaseModel):
    event_id: str
    at: datetime
    kind: str
    source: str
    component: str | None = None
    summary: str
    pinned: bool = False
    pinned_by: str | None = None


class EvidenceItem(BaseModel):
    ref: str
    text: str


class RootCause(BaseModel):
    hypothesis_id: str
    source: str
    rank: int | None
    kind: str
    meaning: str
    component: str
    confidence: float
    summary: str
    confirmed: bool
    verdict_by: str | None = None
    verdict_at: datetime | None = None
    verdict_note: str | None = None
    evidence: list[EvidenceItem] = Field(default_factory=list)
    trigger: TimelineItem | None = None
    """The change the evidence cites (a deploy, a config change), when there is one."""


class RejectedHypothesis(BaseModel):
    kind: str
    component: str
    rank: int | None
    source: str
    verdict_by: str | None
    verdict_note: str | None


class ExecutedAction(BaseModel):
    action_id: str
    type: str
    title: str
    target: str
    status: str
    approved_by: str | None = None
    approved_at: datetime | None = None
    executed_by: str | None = None
    executed_at: datetime | None = None
    finished_at: datetime | None = None
    outcome: str
    """The result message, or the error."""
    params: dict[str, Any] = Field(default_factory=dict)
    result: dict[str, Any] = Field(default_factory=dict)


ItemType = Literal["mitigate", "prevent", "process"]


class ActionItem(BaseModel):
    item: str
    type: ItemType
    owner: str
    component: str | None = None


class ConnectorGap(BaseModel):
    source: str
    summary: str
    recovered: bool


class PostmortemRecord(BaseModel):
    incident_id: int
    title: str
    date: str
    """Page day, UTC (``2026-01-13``)."""
    status: str
    severity: str | None
    component: str | None
    owner: str | None
    source: str
    authors: list[str]
    page_at: datetime
    resolved_at: datetime | None
    duration: float | None
    """Seconds from page to resolution; None while the incident is open."""
    duration_text: str
    affected_components: list[str]
    impact_start: datetime
    impact_end: datetime
    """The range metric peaks are taken over: onset to resolution (or the end of the stored windows)."""
    peak_error: Figure | None = None
    peak_latency: Figure | None = None
    request_rate: Figure | None = None
    """Request rate of the component with the peak error ratio, at that time (for context)."""
    terminations: list[TimelineItem] = Field(default_factory=list)
    """Pods of the affected components whose containers were killed at their memory limit (OOMKilled)."""
    slo: list[SloBurn] = Field(default_factory=list)
    detection: Detection
    timeline: list[TimelineItem] = Field(default_factory=list)
    timeline_omitted: int = 0
    root_causes: list[RootCause] = Field(default_factory=list)
    rejected: list[RejectedHypothesis] = Field(default_factory=list)
    resolution: list[ExecutedAction] = Field(default_factory=list)
    gaps: list[ConnectorGap] = Field(default_factory=list)
    went_well: list[str] = Field(default_factory=list)
    went_wrong: list[str] = Field(default_factory=list)
    lucky: list[str] = Field(default_factory=list)
    action_items: list[ActionItem] = Field(default_factory=list)


class RemovedClaim(BaseModel):
    """A sentence of the model's prose that did not survive the checks, and why."""

    section: str
    text: str
    reason: str
