"""Claude rewrites the prose sections from the record's facts; checks keep only what the record supports.

1. The writer (one Messages call) gets the record as numbered, redacted facts and answers JSON:
   sentences per section, each citing fact ids.
2. A deterministic check removes sentences that cite no fact or an unknown one, or carry a number
   that is not in the facts they cite.
3. The judge (a separate call, ``agent.judge_model``) marks each remaining sentence supported or
   not; unsupported ones, and ones it gives no verdict on, are removed.

A section left with no sentence keeps its deterministic prose. Any model trouble (API errors,
unreadable JSON, budget) falls back to the deterministic prose with a note: this never raises.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from incident.config import AgentConfig
from incident.llm import UsageTotals, ask, over_budget, parse_model, prompt_renderer
from incident.postmortem.facts import record_facts
from incident.postmortem.model import PostmortemRecord, RemovedClaim
from incident.postmortem.prose import PROSE_SECTIONS, Prose
from incident.redact import redact

log = logging.getLogger(__name__)

PROMPTS = Path(__file__).with_name("prompts")
render = prompt_renderer(PROMPTS)
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_CITATION = re.compile(r"\s*[\[(]\s*F\d+(?:\s*,\s*F\d+)*\s*[\])]")


class Claim(BaseModel):
    model_config = ConfigDict(extra="ignore")
    text: str = Field(min_length=1, max_length=1500)
    facts: list[str] = Field(default_factory=list, max_length=20)


class Written(BaseModel):
    model_config = ConfigDict(extra="ignore")
    summary: list[Claim] = Field(default_factory=list, max_length=12)
    root_cause: list[Claim] = Field(default_factory=list, max_length=12)
    went_well: list[Claim] = Field(default_factory=list, max_length=12)
    went_wrong: list[Claim] = Field(default_factory=list, max_length=12)
    lucky: list[Claim] = Field(default_factory=list, max_length=12)


class _Verdict(BaseModel):
    model_config = ConfigDict(extra="ignore")
    index: int
    supported: bool
    reason: str = Field(default="", max_length=1000)


class _Verdicts(BaseModel):
    model_config = ConfigDict(extra="ignore")
    verdicts: list[_Verdict]


@dataclass
class Rewrite:
    prose: Prose
    used: bool
    """True when the model's prose is in the draft (checked by the judge)."""
    removed: list[RemovedClaim] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Pending:
    index: int
    section: str
    text: str
    facts: list[str]


def check_claim(text: str, cited: list[str], facts: dict[str, str]) -> str | None:
    """Why a sentence fails the deterministic check, or None when it passes."""
    if not cited:
        return "cites no fact"
    unknown = [f for f in cited if f not in facts]
    if unknown:
        return f"cites facts that do not exist: {', '.join(unknown)}"
    source = " ".join(facts[f] for f in cited)
    missing = [n for n in _NUMBER.findall(text) if n not in source]
    if missing:
        return f"numbers not in the cited facts: {', '.join(missing)}"
    return None


def rewrite(client: Any, cfg: AgentConfig, rec: PostmortemRecord, base: Prose) -> Rewrite:
    """The prose sections rewritten by Claude and checked; ``base`` (deterministic) where that fails."""
    usage = UsageTotals()
    try:
        return _rewrite(client, cfg, rec, base, usage)
    except Exception as exc:  # model trouble of any kind: the deterministic draft is complete
        log.warning("postmortem prose for incident %s: %s", rec.incident_id, exc)
        reason = redact(f"{type(exc).__name__}: {exc}")[:300]
        return Rewrite(
            base,
            used=False,
            notes=[f"Claude unavailable ({reason}); the prose is deterministic"],
            usage=usage.as_dict(),
        )


def _rewrite(client: Any, cfg: AgentConfig, rec: PostmortemRecord, base: Prose, usage: UsageTotals) -> Rewrite:
    facts = record_facts(rec)
    by_id = {f.id: f.text for f in facts}
    context = {"incident_id": rec.incident_id, "title": redact(rec.title), "facts": facts}

    def fallback(note: str) -> Rewrite:
        return Rewrite(base, used=False, notes=[f"{note}; the prose is deterministic"], usage=usage.as_dict())

    prompt = render("write", reference={s: [redact(x) for x in getattr(base, s)] for s in PROSE_SECTIONS}, **context)
    broke = over_budget(cfg, usage, cfg.model, len(prompt) // 3)
    if broke is not None:
        return fallback(f"Claude not asked ({broke})")
    answer = ask(client, cfg, usage, model=cfg.model, system=render("write_system"), prompt=prompt)
    try:
        written = parse_model(Written, answer)
    except ValueError as exc:
        return fallback(f"Claude's draft was unreadable ({exc})")

    removed: list[RemovedClaim] = []
    pending: list[_Pending] = []
    for section in PROSE_SECTIONS:
        for claim in getattr(written, section):
            text = " ".join(_CITATION.sub("", claim.text).split())
            cited = [f.strip() for f in claim.facts]
            why = check_claim(text, cited, by_id)
            if why is not None:
                removed.append(RemovedClaim(section=section, text=redact(text), reason=why))
            else:
                pending.append(_Pending(len(pending) + 1, section, text, cited))

    verdicts: dict[int, _Verdict] = {}
    if pending:
        judge_prompt = render("judge", claims=pending, **context)
        judge_model = cfg.effective_judge_model()
        broke = over_budget(cfg, usage, judge_model, len(judge_prompt) // 3)
        if broke is not None:
            return fallback(f"the judge could not check Claude's prose ({broke})")
        answer = ask(client, cfg, usage, model=judge_model, system=render("judge_system"), prompt=judge_prompt)
        try:
            verdicts = {v.index: v for v in parse_model(_Verdicts, answer).verdicts}
        except ValueError as exc:
            return fallback(f"the judge's answer was unreadable ({exc})")

    kept: dict[str, list[str]] = {s: [] for s in PROSE_SECTIONS}
    for p in pending:
        v = verdicts.get(p.index)
        if v is None:
            removed.append(RemovedClaim(section=p.section, text=redact(p.text), reason="the judge gave no verdict"))
        elif not v.supported:
            reason = redact(f"judge: {v.reason or 'unsupported'}")
            removed.append(RemovedClaim(section=p.section, text=redact(p.text), reason=reason))
        else:
            kept[p.section].append(redact(p.text))
    notes = [
        f"every sentence Claude wrote for {s.replace('_', ' ')} was removed; the deterministic prose is kept"
        for s in PROSE_SECTIONS
        if not kept[s] and getattr(written, s)
    ]
    prose = Prose(**{s: kept[s] or getattr(base, s) for s in PROSE_SECTIONS})
    return Rewrite(prose, used=any(kept.values()), removed=removed, notes=notes, usage=usage.as_dict())
