"""Hypotheses: the schema the analyzer and the agent both produce, and how they are stored.

Evidence ids are timeline event ids (``ev_...``), stored metric window ids (``mw_...``) or, for
the agent, ids of its own tool results (``tr_...``). A hypothesis whose evidence does not resolve
is never shown as confident (:func:`check_citations`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from incident.kinds import Kind
from incident.models import EventKind, Hypothesis, MetricWindow, TimelineEvent, utcnow
from incident.timeline import log_event


class Evidence(BaseModel):
    ref: str
    """``ev_...`` timeline event, ``mw_...`` metric window, ``tr_...`` agent tool result."""
    note: str = ""
    """Why this item supports the hypothesis, in a few words."""


class HypothesisDraft(BaseModel):
    kind: Kind
    component: str
    confidence: float = Field(ge=0.0, le=1.0)
    summary: str
    evidence: list[Evidence] = Field(default_factory=list)
    refutation: str = ""
    """What observation would refute it."""
    source: str = "analyzer"
    steps: list[dict[str, Any]] = Field(default_factory=list)
    """Matched runbook steps (rendered), attached after ranking."""
    details: dict[str, Any] = Field(default_factory=dict)


def hypothesis_id(incident_id: int, source: str, kind: str, component: str) -> str:
    digest = hashlib.sha256(f"{incident_id}\x1f{source}\x1f{kind}\x1f{component}".encode()).hexdigest()
    return f"hy_{digest[:24]}"


def known_refs(session: Session, incident_id: int) -> set[str]:
    events = session.scalars(select(TimelineEvent.id).where(TimelineEvent.incident_id == incident_id))
    windows = session.scalars(select(MetricWindow.id).where(MetricWindow.incident_id == incident_id))
    return set(events) | set(windows)


def check_citations(draft: HypothesisDraft, refs: set[str], extra: set[str] | None = None) -> HypothesisDraft:
    """Drop citations that do not exist; a hypothesis left with none is capped at low confidence."""
    valid = refs | (extra or set())
    kept = [e for e in draft.evidence if e.ref in valid]
    dropped = [e.ref for e in draft.evidence if e.ref not in valid]
    update: dict[str, Any] = {"evidence": kept}
    if dropped:
        update["details"] = {**draft.details, "invalid_citations": dropped}
    if not kept:
        update["confidence"] = min(draft.confidence, 0.1)
    return draft.model_copy(update=update)


def cite(
    session: Session, incident_id: int, drafts: list[HypothesisDraft], *, extra: set[str] | None = None
) -> list[HypothesisDraft]:
    """:func:`check_citations` for every draft, against what the incident's record holds (and ``extra``)."""
    refs = known_refs(session, incident_id)
    return [check_citations(d, refs, extra) for d in drafts]


def save_hypotheses(
    session: Session, incident_id: int, drafts: list[HypothesisDraft], *, source: str, at: datetime | None = None
) -> list[str]:
    """Replace ``source``'s hypotheses for the incident with ``drafts`` (ranked in order) and put
    each on the timeline at ``at`` (the analysis' present: the page time in a replay). Idempotent:
    the same drafts give the same rows and events."""
    now = utcnow()
    at = at or now
    existing = {
        h.id: h
        for h in session.scalars(
            select(Hypothesis).where(Hypothesis.incident_id == incident_id, Hypothesis.source == source)
        )
    }
    ids: list[str] = []
    for rank, d in enumerate(drafts, start=1):
        hid = hypothesis_id(incident_id, source, d.kind, d.component)
        row = existing.pop(hid, None) or Hypothesis(id=hid, incident_id=incident_id, source=source, created_at=now)
        row.rank, row.kind, row.component, row.confidence = rank, d.kind, d.component, round(d.confidence, 4)
        row.summary, row.refutation = d.summary, d.refutation
        row.evidence = [e.model_dump() for e in d.evidence]
        row.steps, row.details, row.updated_at = d.steps, d.details, now
        if row.status in (None, "dropped"):
            row.status = "proposed"
        session.add(row)
        ids.append(hid)
        session.flush()
        log_event(
            session,
            incident_id=incident_id,
            kind=EventKind.hypothesis,
            key=f"hypothesis/{hid}",
            at=at,
            source=source,
            component=d.component,
            summary=f"#{rank} {d.kind} on {d.component} ({d.confidence:.0%}): {d.summary}",
            details={
                "hypothesis_id": hid,
                "rank": rank,
                "kind": d.kind,
                "confidence": d.confidence,
                "evidence": [e.ref for e in d.evidence],
            },
        )
    for stale in existing.values():
        if stale.status == "proposed":
            stale.status = "dropped"
            stale.rank = None
    return ids


def ranked(session: Session, incident_id: int) -> list[Hypothesis]:
    """Shown hypotheses, agent first when it produced any (it starts from the analyzer's)."""
    return shown(
        session.scalars(select(Hypothesis).where(Hypothesis.incident_id == incident_id, Hypothesis.status != "dropped"))
    )


def shown(hypotheses: Iterable[Hypothesis]) -> list[Hypothesis]:
    """:func:`ranked` over rows already loaded (one incident's, not dropped)."""
    rows = list(hypotheses)
    sources = {r.source for r in rows}
    preferred = "agent" if "agent" in sources else "analyzer"
    return sorted((r for r in rows if r.source == preferred), key=lambda r: r.rank or 10**6)
