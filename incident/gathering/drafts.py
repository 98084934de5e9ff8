"""Plain event drafts produced by the per-source gatherers, before they are written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from incident.config import Settings
from incident.models import EventKind


@dataclass(frozen=True)
class Draft:
    kind: EventKind
    key: str
    at: datetime
    source: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    component: str | None = None


@dataclass(frozen=True)
class WindowDraft:
    """A gathered metric series, stored as evidence (``mw_...``) for hypotheses and charts."""

    component: str
    signal: str
    query: str
    start: datetime
    end: datetime
    step_seconds: float
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class GatherContext:
    """What one gathering needs to know about its incident; every window hangs off ``page_at``."""

    incident_id: int
    component: str | None
    namespace: str | None
    page_at: datetime
    window_end: datetime
    """``min(now, page_at + follow_for)``: refreshes extend past the page, replays never do."""
    settings: Settings
    related: tuple[str, ...] = ()
    """The component and what it depends on (from the catalog), in that order."""
    pagerduty_id: str | None = None

    def since(self, lookback: timedelta) -> datetime:
        return self.page_at - lookback
