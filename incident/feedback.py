"""A person's verdict on a hypothesis: confirmed (this was it) or rejected (it was not).

Verdicts are what team memory learns from (similar incidents later rank the same kind of
explanation up or down) and what ``incident stats`` measures the analyzer and the agent by.
Every verdict is also a timeline event, so the incident's story shows who decided what.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy.orm import Session

from incident.errors import CopilotError
from incident.models import EventKind, Hypothesis, utcnow
from incident.timeline import log_event

Verdict = Literal["confirmed", "rejected", "proposed"]
"""``proposed`` withdraws an earlier verdict."""

VERDICT_WORDS: dict[str, str] = {"confirmed": "confirmed", "rejected": "marked wrong", "proposed": "verdict withdrawn"}
"""How each verdict reads for people (timeline, memory, the TUI)."""
VERDICTS: tuple[str, ...] = tuple(VERDICT_WORDS)


class FeedbackError(CopilotError):
    title = "Cannot record the verdict"


def set_verdict(session: Session, hypothesis_id: str, verdict: str, *, who: str, note: str | None = None) -> Hypothesis:
    """Record ``who``'s verdict on a hypothesis (the caller commits). Confirming one hypothesis
    does not reject the others: two causes can both hold."""
    if verdict not in VERDICTS:
        raise FeedbackError(f"unknown verdict '{verdict}' (one of: {', '.join(VERDICTS)})")
    row = session.get(Hypothesis, hypothesis_id)
    if row is None:
        raise FeedbackError(f"no hypothesis {hypothesis_id}")
    if row.status == "dropped" and verdict != "proposed":
        raise FeedbackError("this hypothesis was dropped (superseded or refused by the judge)")
    now = utcnow()
    row.status = verdict
    row.verdict_by = None if verdict == "proposed" else who
    row.verdict_at = None if verdict == "proposed" else now
    row.verdict_note = note.strip() if note and note.strip() else None
    word = VERDICT_WORDS[verdict]
    reason = f": {row.verdict_note}" if row.verdict_note else ""
    log_event(
        session,
        incident_id=row.incident_id,
        kind=EventKind.hypothesis,
        key=f"verdict/{row.id}",
        at=now,
        source=who,
        component=row.component,
        summary=f"{row.kind} on {row.component} ({row.source}) {word} by {who}{reason}",
        details={"hypothesis_id": row.id, "verdict": verdict, "by": who, "note": row.verdict_note},
    )
    return row
