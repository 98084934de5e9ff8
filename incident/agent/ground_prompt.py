"""The ground as prompt text: the opening's analyzer hypotheses with their why, the compact ground
section, and the placement of each cited item for the judge. Bounded: the prompt budget matters.
(Redaction happens once, when the template is rendered.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from incident.agent.ground import PLACES, Ground
from incident.agent.grounding import Grounding
from incident.details import HypothesisDetails
from incident.hypotheses import HypothesisDraft
from incident.llm import clip
from incident.timeutil import as_utc, parse_time

MAX_COMPONENTS = 12
MAX_ATTRIBUTIONS = 8
MAX_EXPLAINS = 3
LINE = 160
ORDER = ("same", "downstream", "upstream", "datastore", "node", "named", "unknown", "off_path")


def when(page_at: datetime, at: datetime | None) -> str:
    """``2025-01-02T02:31Z, 11 min before the page`` (or after it)."""
    if at is None:
        return "unknown"
    minutes = round((as_utc(page_at) - as_utc(at)).total_seconds() / 60, 1)
    rel = f"{minutes:g} min before the page" if minutes >= 0 else f"{-minutes:g} min after the page"
    return f"{as_utc(at):%Y-%m-%dT%H:%M}Z, {rel}"


def _placed(how: str, label: str | None) -> str:
    """``on the paged path (2 hops downstream of checkout)``; the detail only when it adds one."""
    place = PLACES.get(how, how)
    if not label or label == place:
        return place
    return label if label.startswith(place) else f"{place} ({label})"


def _analyzer_item(ground: Ground | None, page_at: datetime, d: HypothesisDraft) -> dict[str, Any]:
    why = HypothesisDetails.parse(d.details).why or {}
    rel = why.get("relevance") if isinstance(why.get("relevance"), dict) else None
    relevance = "unknown"
    if rel and rel.get("how") in PLACES:
        relevance = _placed(str(rel["how"]), rel.get("label"))
    elif ground is not None:
        r = ground.relevance(d.component)
        relevance = _placed(r.how, r.label)
    explains = [clip(str(x), LINE) for x in why.get("explains") or [] if x]
    return {
        "kind": d.kind,
        "component": d.component,
        "confidence": d.confidence,
        "summary": clip(d.summary, 400),
        "evidence": ", ".join(e.ref for e in d.evidence) or "none",
        "refutation": clip(d.refutation, LINE),
        "relevance": relevance,
        "onset": when(page_at, parse_time(why.get("onset"))),
        "trigger": why.get("trigger") or "",
        "mechanism": why.get("mechanism") or "",
        "explains": _capped(explains, MAX_EXPLAINS),
    }


def _component_lines(ground: Ground) -> list[str]:
    def key(name: str) -> tuple[int, int, str]:
        r = ground.relevance(name)
        return (ORDER.index(r.how) if r.how in ORDER else len(ORDER), r.hops or 0, name)

    lines = []
    for name in sorted(ground.findings, key=key):
        r = ground.relevance(name)
        kinds = ", ".join(ground.findings[name])
        lines.append(f"- {name}: {_placed(r.how, r.label)}; findings: {kinds}")
    return lines


def _capped(lines: list[str], cap: int) -> list[str]:
    return lines[:cap] + ([f"(+{len(lines) - cap} more)"] if len(lines) > cap else [])


def opening_context(ground: Ground | None, page_at: datetime, analyzer: list[HypothesisDraft]) -> dict[str, Any]:
    """What ``investigate.jinja2`` shows of the analyzer and its ground (no ground section when the
    ground could not be read)."""
    items = [_analyzer_item(ground, page_at, d) for d in analyzer]
    if ground is None:
        return {"analyzer": items, "ground": None}
    attributions = [
        f"- {a.caller} -> {a.target}: {a.what} [{a.event_id}]: {clip(a.line, 120)}" for a in ground.attributions
    ]
    return {
        "analyzer": items,
        "ground": {
            "paged": ground.paged or "unknown",
            "symptom_onset": when(ground.page_at, ground.symptom_onset),
            "present": f"{ground.present:%Y-%m-%dT%H:%M:%S}Z",
            "components": _capped(_component_lines(ground), MAX_COMPONENTS),
            "attributions": _capped(attributions, MAX_ATTRIBUTIONS),
        },
    }


def judge_annotations(grounding: Grounding, draft: HypothesisDraft) -> dict[str, Any]:
    """The hypothesis' place and each cited item's place and time, for the judge."""
    g = grounding.ground
    r = g.relevance(draft.component)
    cited = {}
    for p in grounding.placed(draft):
        stamp = ""
        if p.at is not None:
            stamp = f"; stamped {when(g.page_at, p.at)}" + (" (AFTER THE PAGE)" if p.late else "")
        cited[p.ref] = f"{p.component}: {PLACES.get(p.relevance.how, p.relevance.how)}{stamp}"
    return {"place": _placed(r.how, r.label), "cited": cited}
