"""Why a hypothesis ranks where it does: the terms of its score, what it explains and what it does
not, how team memory moved it, its evidence resolved, and what would refute it.

Reads the analyzer's ``details["why"]`` and team memory's ``details["memory"]``. A hypothesis
without ``why`` (rows older than the scored analyzer, the agent's) is explained from what it has,
and says plainly that its score has no breakdown. No rendering here: the CLI
(:mod:`incident.explain_render`) and the TUI draw the same :class:`Explanation`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from incident.details import HypothesisDetails
from incident.errors import CopilotError
from incident.hypotheses import ranked
from incident.models import Hypothesis, Incident, MetricWindow, TimelineEvent
from incident.timeutil import parse_time

MEMORY = "memory"
"""The name of the term team memory adds (its value is the change of confidence)."""
COMPARED = 3
"""At most this many terms in the "why #1 over #2" line."""


class ExplainError(CopilotError):
    title = "Cannot explain"


class Term(BaseModel):
    name: str
    value: float | None = None
    note: str = ""


class Relevance(BaseModel):
    label: str
    connected: bool | None = None
    hops: int | None = None


class MemoryAdjustment(BaseModel):
    """How verdicts on similar past incidents moved the confidence (``details["memory"]``)."""

    delta: float
    prior: float | None = None
    because: str = ""
    confirmed_in: list[int] = []
    rejected_in: list[int] = []


class Cited(BaseModel):
    """One cited piece of evidence, resolved to what a person reads."""

    ref: str
    kind: Literal["event", "metric window", "tool result", "unresolved"]
    text: str
    note: str = ""


class HypothesisExplanation(BaseModel):
    id: str
    rank: int
    kind: str
    component: str
    confidence: float
    source: str
    status: str
    summary: str
    score: float | None = None
    """The confidence before team memory, when the analyzer broke it down."""
    terms: list[Term] = []
    """The score's terms in the order they apply, then ``memory`` when memory moved it."""
    relevance: Relevance | None = None
    onset: datetime | None = None
    onset_minutes_before_page: float | None = None
    """Negative when the onset is after the page."""
    explains: list[str] = []
    unexplained: list[str] = []
    trigger: str | None = None
    mechanism: str | None = None
    memory: MemoryAdjustment | None = None
    evidence: list[Cited] = []
    refutation: str = ""
    no_breakdown: str | None = None
    """Why there are no score terms, in words; None when there are."""


class TermGap(BaseModel):
    name: str
    first: float
    second: float


class Comparison(BaseModel):
    """Why #1 ranks over #2: the terms where #1 beats #2 most."""

    first: int
    second: int
    gaps: list[TermGap] = []
    only_first: list[Term] = []
    """Terms #1's score has and #2's has not (e.g. a change or a mechanism)."""
    text: str


class Explanation(BaseModel):
    incident_id: int
    title: str
    component: str | None
    page_at: datetime
    hypotheses: list[HypothesisExplanation] = []
    comparison: Comparison | None = None


def explain(
    session: Session, incident: Incident, *, rank: int | None = None, hypothesis_id: str | None = None
) -> Explanation:
    """The explanation of the incident's shown hypotheses in rank order, or only the one at ``rank``
    (1-based, as shown) or with ``hypothesis_id``; ExplainError when that one is not shown."""
    rows = ranked(session, incident.id)
    numbered = list(enumerate(rows, start=1))
    chosen = numbered
    if rank is not None:
        chosen = [(n, h) for n, h in numbered if n == rank]
        if not chosen:
            shown = f"shown: #1-#{len(rows)}" if rows else "it has none yet"
            raise ExplainError(f"incident {incident.id} has no hypothesis #{rank} ({shown})")
    if hypothesis_id is not None:
        chosen = [(n, h) for n, h in chosen if h.id == hypothesis_id]
        if not chosen:
            raise ExplainError(f"hypothesis {hypothesis_id} is not among incident {incident.id}'s shown hypotheses")
    cited = _resolver(session, incident.id, [h for _, h in chosen])
    explained = [_explain_one(h, n, incident.page_at, cited) for n, h in chosen]
    comparison = None
    if len(rows) >= 2:
        by_rank = {e.rank: e for e in explained}
        first = by_rank.get(1) or _explain_one(rows[0], 1, incident.page_at, {})
        second = by_rank.get(2) or _explain_one(rows[1], 2, incident.page_at, {})
        comparison = compare(first, second)
    return Explanation(
        incident_id=incident.id,
        title=incident.title,
        component=incident.component,
        page_at=incident.page_at,
        hypotheses=explained,
        comparison=comparison,
    )


def compare(first: HypothesisExplanation, second: HypothesisExplanation) -> Comparison:
    """The terms where ``first`` beats ``second`` most (memory counts as 0 where it did not move)."""
    a, b = _term_values(first), _term_values(second)
    gaps = [TermGap(name=n, first=a[n], second=b[n]) for n in a if n in b and a[n] > b[n]]
    gaps.sort(key=lambda g: g.second - g.first)
    gaps = gaps[:COMPARED]
    missing = [f"#{h.rank}" for h in (first, second) if h.no_breakdown]
    only = [] if missing else [t for t in first.terms if t.value is not None and t.name not in b][:COMPARED]
    head = f"why #{first.rank} over #{second.rank}: "
    confidences = f"confidence {first.confidence:.0%} vs {second.confidence:.0%}"
    parts = [", ".join(f"{g.name} {_value(g.name, g.first)} vs {_value(g.name, g.second)}" for g in gaps)]
    parts.append(f"only #{first.rank} has " + ", ".join(f"{t.name} {_value(t.name, t.value)}" for t in only))
    shown = [p for p, present in zip(parts, (gaps, only), strict=True) if present]
    if shown:
        text = head + "; ".join(shown)
    elif missing:
        text = head + confidences
    else:
        text = head + f"higher on no single term; the terms combined give {confidences}"
    if missing:
        text += f" (no score breakdown for {' and '.join(missing)})"
    return Comparison(first=first.rank, second=second.rank, gaps=gaps, only_first=only, text=text)


def _term_values(h: HypothesisExplanation) -> dict[str, float]:
    values = {t.name: t.value for t in h.terms if t.value is not None}
    values.setdefault(MEMORY, 0.0)
    return values


# ---------------------------------------------------------------------- one hypothesis
def _explain_one(h: Hypothesis, rank: int, page_at: datetime, cited: dict[str, Cited]) -> HypothesisExplanation:
    details = HypothesisDetails.of(h)
    why = details.why
    memory = _memory(details.memory)
    out = HypothesisExplanation(
        id=h.id,
        rank=rank,
        kind=h.kind,
        component=h.component,
        confidence=h.confidence,
        source=h.source,
        status=h.status,
        summary=h.summary,
        memory=memory,
        refutation=h.refutation or "",
        evidence=[_cited(e, cited) for e in h.evidence or [] if isinstance(e, dict) and e.get("ref")],
    )
    if isinstance(why, dict):
        onset = parse_time(why.get("onset"))
        out.score = _number(why.get("score"))
        out.terms = [t for t in map(_term, why.get("terms") or []) if t is not None]
        out.relevance = _relevance(why.get("relevance"))
        out.onset = onset
        out.onset_minutes_before_page = None if onset is None else round((page_at - onset).total_seconds() / 60, 1)
        out.explains = _texts(why.get("explains"))
        out.unexplained = _texts(why.get("unexplained"))
        out.trigger = _text(why.get("trigger"))
        out.mechanism = _text(why.get("mechanism"))
    elif h.source == "agent":
        out.no_breakdown = "the agent's hypotheses carry no score breakdown (its confidence is its own judgement)"
    else:
        out.no_breakdown = "no score breakdown is stored for this hypothesis (it was ranked before they were kept)"
    if memory is not None and memory.delta and all(t.name != MEMORY for t in out.terms):
        out.terms.append(Term(name=MEMORY, value=memory.delta, note=memory.because))
    return out


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value if v not in (None, "")] if isinstance(value, list) else []


def _term(raw: Any) -> Term | None:
    if not isinstance(raw, dict) or not raw.get("name"):
        return None
    return Term(name=str(raw["name"]), value=_number(raw.get("value")), note=str(raw.get("note") or ""))


def _relevance(raw: Any) -> Relevance | None:
    if isinstance(raw, str) and raw:
        return Relevance(label=raw)
    if not isinstance(raw, dict) or not raw.get("label"):
        return None
    connected = raw.get("connected")
    hops = raw.get("hops")
    return Relevance(
        label=str(raw["label"]),
        connected=connected if isinstance(connected, bool) else None,
        hops=hops if isinstance(hops, int) and not isinstance(hops, bool) else None,
    )


def _memory(raw: Any) -> MemoryAdjustment | None:
    if not isinstance(raw, dict):
        return None
    delta = _number(raw.get("delta"))
    if delta is None:
        return None
    return MemoryAdjustment(
        delta=delta,
        prior=_number(raw.get("prior")),
        because=str(raw.get("because") or ""),
        confirmed_in=[int(i) for i in raw.get("confirmed_in") or [] if isinstance(i, int)],
        rejected_in=[int(i) for i in raw.get("rejected_in") or [] if isinstance(i, int)],
    )


# ---------------------------------------------------------------------- evidence
def _cited(evidence: dict[str, Any], cited: dict[str, Cited]) -> Cited:
    ref = str(evidence["ref"])
    note = str(evidence.get("note") or "")
    found = cited.get(ref)
    if found is None:
        return Cited(ref=ref, kind="unresolved", text="not stored (any more)", note=note)
    return found.model_copy(update={"note": note})


def _resolver(session: Session, incident_id: int, rows: list[Hypothesis]) -> dict[str, Cited]:
    """Every ref the hypotheses cite -> what it is: one query for events, one for metric windows."""
    refs = {str(e["ref"]) for h in rows for e in h.evidence or [] if isinstance(e, dict) and e.get("ref")}
    out: dict[str, Cited] = {}
    events = [r for r in refs if r.startswith("ev_")]
    if events:
        query = select(TimelineEvent.id, TimelineEvent.kind, TimelineEvent.summary).where(
            TimelineEvent.incident_id == incident_id, TimelineEvent.id.in_(events)
        )
        for ref, kind, summary in session.execute(query):
            out[ref] = Cited(ref=ref, kind="event", text=f"{kind}: {summary}")
    windows = [r for r in refs if r.startswith("mw_")]
    if windows:
        query = select(MetricWindow.id, MetricWindow.signal, MetricWindow.component).where(
            MetricWindow.incident_id == incident_id, MetricWindow.id.in_(windows)
        )
        for ref, signal, component in session.execute(query):
            out[ref] = Cited(ref=ref, kind="metric window", text=f"{signal} on {component}")
    for h in rows:
        for ref, result in HypothesisDetails.of(h).tool_results.items():
            if ref in refs and isinstance(result, dict):
                out[ref] = Cited(ref=ref, kind="tool result", text=f"tool {result.get('tool', '?')}")
    return out


# ---------------------------------------------------------------------- wording shared by the CLI and the TUI
def facts(h: HypothesisExplanation) -> list[tuple[str, str]]:
    """The explanation as (label, text) rows; score terms are indented under ``score``."""
    rows = [("hypothesis", f"#{h.rank} {h.kind} on {h.component} ({h.confidence:.0%}, {h.source}, {h.status})")]
    rows.append(("summary", h.summary))
    rows.append(("score", _score_line(h)))
    rows += [(f"  {t.name}", _term_line(t)) for t in h.terms]
    if h.relevance is not None:
        rows.append(("where", h.relevance.label))
    if h.onset is not None:
        rows.append(("onset", f"{h.onset:%Y-%m-%d %H:%M:%S} UTC, {_before_page(h.onset_minutes_before_page)}"))
    if h.trigger:
        rows.append(("trigger", h.trigger))
    if h.mechanism:
        rows.append(("mechanism", h.mechanism))
    if h.no_breakdown is None:
        rows.append(("explains", "; ".join(h.explains) or "nothing listed"))
        rows.append(("unexplained", "; ".join(h.unexplained) or "nothing left unexplained"))
    for i, c in enumerate(h.evidence):
        text = f"{c.kind}: {c.text} ({c.ref})" + (f" - {c.note}" if c.note else "")
        rows.append(("evidence" if i == 0 else "", text))
    if not h.evidence:
        rows.append(("evidence", "none cited"))
    return rows


def refuted_by(h: HypothesisExplanation) -> str:
    return f"would be refuted by: {h.refutation or 'no refutation recorded'}"


def _score_line(h: HypothesisExplanation) -> str:
    if h.no_breakdown is not None:
        base = f"no breakdown: {h.no_breakdown}"
    else:
        base = f"{h.score:.2f} before team memory" if h.score is not None else "no final score recorded"
    m = h.memory
    if m is None or not m.delta:
        return base + "; team memory did not move it"
    prior = f" from {m.prior:.0%}" if m.prior is not None else ""
    return base + f"; team memory moved it {m.delta:+.0%}{prior} to {h.confidence:.0%}"


def _term_line(t: Term) -> str:
    return f"{_value(t.name, t.value)}  {t.note}".rstrip()


def _value(name: str, value: float | None) -> str:
    """A term's value: memory's is a signed change of confidence, the others a factor."""
    if value is None:
        return "-"
    return f"{value:+.2f}" if name == MEMORY else f"{value:.2f}"


def _before_page(minutes: float | None) -> str:
    if minutes is None:
        return "time to the page unknown"
    if abs(minutes) < 0.05:
        return "at the page"
    amount = f"{abs(minutes):g} min"
    return f"{amount} before the page" if minutes > 0 else f"{amount} after the page"
