"""Team memory: similar past incidents, what resolved them, and what people decided about them.

- :func:`find_similar` -> :class:`Match` list (score, reasons, ``resolved_by``), for any reader;
- :func:`record_similar` puts them on the timeline as ``memory`` events (details = the match);
- :func:`apply_feedback` moves hypothesis confidences with verdicts on similar incidents
  (``details["memory"]`` says by how much and why).

The diagnosis pipeline calls the ``safe_`` variants: memory failing is logged and never stops a
diagnosis.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime

from sqlalchemy.orm import Session

from incident.hypotheses import HypothesisDraft
from incident.memory.feedback import apply_feedback, without_memory
from incident.memory.model import Accepted, Match, PastAction, ResolvedBy
from incident.memory.normalise import template
from incident.memory.record import memory_event_id, memory_summary, record_similar
from incident.memory.search import TeamMemoryError, find_similar
from incident.memory.similarity import THRESHOLD

log = logging.getLogger(__name__)

__all__ = [
    "THRESHOLD",
    "Accepted",
    "Match",
    "PastAction",
    "ResolvedBy",
    "TeamMemoryError",
    "apply_feedback",
    "find_similar",
    "memory_event_id",
    "memory_summary",
    "record_similar",
    "safe_apply_feedback",
    "without_memory",
    "safe_record_similar",
    "template",
]


@contextmanager
def _contained(session: Session) -> Iterator[None]:
    """A savepoint where the database aborts a whole transaction on error (PostgreSQL), so a
    failed memory query cannot take the hypotheses' transaction with it. SQLite keeps going after
    a failed statement, and pysqlite's savepoints are unreliable, so it runs without one."""
    dialect = session.get_bind().dialect.name
    with nullcontext() if dialect == "sqlite" else session.begin_nested():
        yield


def safe_apply_feedback(session: Session, incident_id: int, drafts: list[HypothesisDraft]) -> list[HypothesisDraft]:
    """:func:`apply_feedback`, or ``drafts`` unchanged when memory fails (logged)."""
    try:
        with _contained(session):
            return apply_feedback(session, incident_id, drafts)
    except Exception:
        log.exception("team memory: ranking feedback failed on incident %s; hypotheses unchanged", incident_id)
        return drafts


def safe_record_similar(session: Session, incident_id: int, *, at: datetime | None = None) -> list[Match]:
    """:func:`record_similar`, or nothing when memory fails (logged)."""
    try:
        with _contained(session):
            return record_similar(session, incident_id, at=at)
    except Exception:
        log.exception("team memory: cannot record similar incidents on incident %s", incident_id)
        return []
