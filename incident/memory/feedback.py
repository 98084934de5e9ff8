"""Rank hypotheses with what on-call engineers decided on similar past incidents.

For each draft, every similar past incident (:func:`incident.memory.search.search`) where someone
confirmed a hypothesis of the same kind raises its confidence, and one marked wrong lowers it::

    step = STEP * similarity * (1 if same component else OTHER_COMPONENT)

summed over the past incidents, bounded by :data:`MAX_DELTA`, and kept within
[:data:`FLOOR`, :data:`CEILING`]. A draft without valid evidence is never raised (it must not look
confident). The drafts are then re-sorted by confidence. Why a confidence moved is kept in
``details["memory"]``; the summary is left alone. Only earlier incidents are read, so the
incident's own verdicts never rank its own hypotheses.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from incident.details import HypothesisDetails
from incident.feedback import VERDICT_WORDS
from incident.hypotheses import HypothesisDraft
from incident.memory.search import search
from incident.models import Hypothesis

STEP = 0.25
MAX_DELTA = 0.25
OTHER_COMPONENT = 0.5
FLOOR, CEILING = 0.01, 0.99
VERDICTS = (("confirmed", 1.0, VERDICT_WORDS["confirmed"]), ("rejected", -1.0, VERDICT_WORDS["rejected"]))


def _adjust(draft: HypothesisDraft, found: list[tuple[int, float, list[Hypothesis]]]) -> HypothesisDraft:
    delta = 0.0
    because: list[str] = []
    seen: dict[str, list[int]] = {"confirmed": [], "rejected": []}
    for past_id, score, rows in found:
        for status, sign, word in VERDICTS:
            same_kind = [h for h in rows if h.kind == draft.kind and h.status == status]
            if not same_kind:
                continue
            same_component = any(h.component == draft.component for h in same_kind)
            delta += sign * STEP * score * (1.0 if same_component else OTHER_COMPONENT)
            who = ", ".join(sorted({h.verdict_by or "someone" for h in same_kind}))
            where = "" if same_component else f", on {', '.join(sorted({h.component for h in same_kind}))}"
            because.append(f"{word} by {who} on #{past_id} (similar {score:.0%}){where}")
            seen[status].append(past_id)
    if not because:
        return draft
    delta = max(-MAX_DELTA, min(MAX_DELTA, delta))
    if delta > 0 and not draft.evidence:
        delta = 0.0
        because.append("not raised: no valid evidence")
    prior = draft.confidence
    confidence = round(max(FLOOR, min(CEILING, prior + delta)), 4)
    memory = {
        "delta": round(confidence - prior, 4),
        "prior": prior,
        "because": "; ".join(because),
        "confirmed_in": seen["confirmed"],
        "rejected_in": seen["rejected"],
    }
    return draft.model_copy(update={"confidence": confidence, "details": {**draft.details, "memory": memory}})


def apply_feedback(session: Session, incident_id: int, drafts: list[HypothesisDraft]) -> list[HypothesisDraft]:
    """``drafts`` with confidences moved by verdicts on similar past incidents, best first.

    Unchanged (same objects, same order) when no similar incident has a verdict on their kinds.
    """
    if not drafts:
        return drafts
    found = search(session, incident_id, kinds=[d.kind for d in drafts])
    verdicts = [
        (m.past_incident_id, m.score, [h for h in found.hypotheses[m.past_incident_id] if h.status != "proposed"])
        for m in found.matches
    ]
    adjusted = [_adjust(d, verdicts) for d in drafts]
    if all(a is d for a, d in zip(adjusted, drafts, strict=True)):
        return drafts
    order = sorted(range(len(adjusted)), key=lambda i: (-adjusted[i].confidence, i))
    return [adjusted[i] for i in order]


def without_memory(draft: HypothesisDraft) -> HypothesisDraft:
    """``draft`` as it was before :func:`apply_feedback` moved it (e.g. for the agent's prompt, so
    that memory does not count twice when the agent's own hypotheses are adjusted)."""
    memory = HypothesisDetails.parse(draft.details).memory
    if memory is None or "prior" not in memory:
        return draft
    details = {k: v for k, v in draft.details.items() if k != "memory"}
    return draft.model_copy(update={"confidence": memory["prior"], "details": details})
