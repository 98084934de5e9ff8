"""The judge: a separate Messages call that checks each agent hypothesis against its cited evidence.

It sees only the hypotheses and the content of what they cite (timeline events, metric window
summaries, tool results), each labelled with its connection to the page, never the investigation.
Unsupported hypotheses are dropped (the reason kept in their details), partially supported ones
lose half their confidence. Before the call, the deterministic ground check
(:mod:`incident.agent.grounding`) drops hypotheses standing only on hindsight or, unexplained, off
the paged path; they are not sent. Hypotheses with no valid evidence left are not sent either:
:func:`incident.hypotheses.check_citations` already capped them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from incident.agent.events import EventSink, usage_event
from incident.agent.ground_prompt import judge_annotations
from incident.agent.grounding import Grounding
from incident.agent.render import render
from incident.config import AgentConfig
from incident.hypotheses import HypothesisDraft
from incident.llm import UsageTotals, ask, over_budget, parse_model

PARTIAL_FACTOR = 0.5


class _Verdict(BaseModel):
    model_config = ConfigDict(extra="ignore")
    index: int
    supported: bool | Literal["partial"]
    reason: str = Field(default="", max_length=1000)


class _Verdicts(BaseModel):
    model_config = ConfigDict(extra="ignore")
    verdicts: list[_Verdict]


@dataclass
class Judged:
    kept: list[HypothesisDraft] = field(default_factory=list)
    dropped: list[HypothesisDraft] = field(default_factory=list)
    note: str = ""
    """Why some hypotheses could not be judged, when so."""


def parse_verdicts(text: str) -> dict[int, _Verdict]:
    return {v.index: v for v in parse_model(_Verdicts, text).verdicts}


def _apply(draft: HypothesisDraft, verdict: str, reason: str, by: str | None = None) -> HypothesisDraft:
    judged = {"verdict": verdict, "reason": reason} | ({"by": by} if by else {})
    details = {**draft.details, "judge": judged}
    confidence = draft.confidence * PARTIAL_FACTOR if verdict == "partial" else draft.confidence
    return draft.model_copy(update={"details": details, "confidence": round(confidence, 4)})


def judge(
    client: Any,
    *,
    cfg: AgentConfig,
    usage: UsageTotals,
    on_event: EventSink,
    drafts: list[HypothesisDraft],
    evidence: Callable[[str], str],
    context: dict[str, Any],
    grounding: Grounding | None = None,
) -> Judged:
    """Judge ``drafts`` in one call; ``evidence(ref)`` gives the text of a cited id; ``grounding``
    (when the ground could be read) checks them first and labels what the judge reads.

    An unreadable or missing verdict, or no budget left for the call, counts as ``partial``.
    SDK errors propagate (the caller falls back to the analyzer).
    """
    out = Judged()
    items = []
    refused: set[int] = set()
    for index, draft in enumerate(drafts, start=1):
        if not draft.evidence:
            continue
        marks: dict[str, Any] = {"place": "", "cited": {}}
        if grounding is not None:
            check = grounding.check(draft)
            if check.rejected:
                refused.add(index)
                out.dropped.append(_apply(draft, "unsupported", f"ground check: {check.reason}", by="ground_check"))
                continue
            marks = judge_annotations(grounding, draft)
        cited = [
            {"ref": e.ref, "note": e.note, "content": evidence(e.ref), "place": marks["cited"].get(e.ref, "")}
            for e in draft.evidence
        ]
        items.append(
            {
                "index": index,
                **draft.model_dump(include={"kind", "component", "confidence", "summary", "refutation"}),
                "place": marks["place"],
                "evidence": cited,
            }
        )
    verdicts: dict[int, _Verdict] = {}
    if items:
        prompt = render("judge", items=items, **context)
        model = cfg.effective_judge_model()
        broke = over_budget(cfg, usage, model, len(prompt) // 3)
        if broke is not None:
            out.note = f"not judged: {broke}"
        else:
            answer = ask(client, cfg, usage, model=model, system=render("judge_system"), prompt=prompt)
            on_event(usage_event(usage))
            try:
                verdicts = parse_verdicts(answer)
            except ValueError as exc:
                out.note = f"judge answer unreadable: {exc}"
    for index, draft in enumerate(drafts, start=1):
        if index in refused:
            continue
        if not draft.evidence:
            out.kept.append(draft)
            continue
        v = verdicts.get(index)
        if v is None:
            out.kept.append(_apply(draft, "partial", out.note or "the judge gave no verdict"))
        elif v.supported is False:
            out.dropped.append(_apply(draft, "unsupported", v.reason))
        else:
            out.kept.append(_apply(draft, "supported" if v.supported is True else "partial", v.reason))
    out.kept.sort(key=lambda d: -d.confidence)
    return out
