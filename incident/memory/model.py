"""Plain data team memory hands out (pydantic; ``model_dump(mode="json")`` is what the timeline stores)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class PastAction(BaseModel):
    """An action that ran successfully on the past incident."""

    title: str
    type: str
    target: str
    status: str = "succeeded"
    at: datetime | None = None
    """When it was executed."""
    who: str | None = None
    """Who executed it."""


class Accepted(BaseModel):
    """A hypothesis someone confirmed on the past incident."""

    kind: str
    component: str
    summary: str
    source: str
    """``analyzer`` or ``agent``."""
    by: str | None = None
    at: datetime | None = None


class ResolvedBy(BaseModel):
    actions: list[PastAction] = Field(default_factory=list)
    accepted: list[Accepted] = Field(default_factory=list)
    postmortem: str
    """Path of the latest written postmortem draft, else the command that drafts one."""


class Match(BaseModel):
    """A similar past incident, why it is similar, and what resolved it."""

    past_incident_id: int
    title: str
    component: str | None
    page_at: datetime
    status: str
    score: float
    """Similarity in [0, 1] (:mod:`incident.memory.similarity`)."""
    parts: dict[str, float] = Field(default_factory=dict)
    """Per feature (component, alerts, kinds, signatures), before weighting."""
    reasons: list[str] = Field(default_factory=list)
    """Why, for people: ``same component checkout``, ``same alert HighErrorRatio``, ..."""
    resolved_by: ResolvedBy
    resolved_at: datetime | None = None
    time_to_resolve_seconds: float | None = None
    """resolved_at - page_at, when it was resolved."""
