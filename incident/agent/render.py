"""Prompt templates (``prompts/*.jinja2``) and the compact, redacted text the model reads.

Everything rendered here leaves the machine, so every string passes :func:`incident.redact.redact`.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from incident.llm.prompts import clip as clip  # moved to incident.llm.prompts
from incident.llm.prompts import prompt_renderer
from incident.models import MetricWindow, TimelineEvent
from incident.redact import redact

PROMPTS = Path(__file__).with_name("prompts")


render = prompt_renderer(PROMPTS)
"""Render ``prompts/<template>.jinja2`` (the agent's and the judge's prompts)."""


def redact_value(value: Any) -> Any:
    """Redact every string inside a JSON-able value (before it is serialised, so escaping
    cannot hide a secret from the patterns)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {str(k): redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value


def to_json(value: Any, limit: int) -> str:
    """Compact, redacted JSON, clipped to ``limit`` characters."""
    text = json.dumps(redact_value(value), default=str, separators=(",", ":"), ensure_ascii=False)
    return clip(redact(text), limit)


_SKIP_DETAILS = {"raw", "points"}


def event_line(event: TimelineEvent, *, details_limit: int = 300) -> str:
    details = {k: v for k, v in (event.details or {}).items() if k not in _SKIP_DETAILS and v not in (None, "", [], {})}
    extra = f" {to_json(details, details_limit)}" if details else ""
    when = event.at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return redact(f"{event.id} | {when} | {event.kind} | {event.component or '-'} | {event.summary}{extra}")


def render_timeline(events: list[TimelineEvent], *, limit: int = 30000) -> str:
    """One line per event, oldest first; past ``limit`` characters the oldest lines go first
    (the page is at the end, and recent events matter most)."""
    lines = [event_line(e) for e in events if e.kind != "hypothesis"]
    while lines and sum(len(line) + 1 for line in lines) > limit:
        lines.pop(0)
    return "\n".join(lines) if lines else "(no events)"


def summarise_points(points: list[Any]) -> dict[str, Any]:
    values = [float(p[1]) for p in points if isinstance(p, list | tuple) and len(p) == 2]
    if not values:
        return {"points": 0}
    half = max(1, len(values) // 2)
    return {
        "points": len(values),
        "min": round(min(values), 6),
        "median": round(statistics.median(values), 6),
        "max": round(max(values), 6),
        "first": round(values[0], 6),
        "last": round(values[-1], 6),
        "median_first_half": round(statistics.median(values[:half]), 6),
        "median_second_half": round(statistics.median(values[half:]), 6),
    }


def window_summary(window: MetricWindow) -> str:
    head = f"{window.signal} of {window.component} from {window.start:%H:%M} to {window.end:%H:%M} UTC"
    return redact(f"{head}: {json.dumps(summarise_points(window.points or []))} (query: {window.query})")


def evidence_text(session: Session, ref: str, tool_results: dict[str, str], *, limit: int = 2500) -> str:
    """What a cited id points to, as the judge reads it."""
    if ref.startswith("tr_"):
        return clip(tool_results.get(ref, "(no such tool result)"), limit)
    if ref.startswith("mw_"):
        window = session.get(MetricWindow, ref)
        return window_summary(window) if window else "(no such metric window)"
    event = session.get(TimelineEvent, ref)
    return clip(event_line(event, details_limit=1500), limit) if event else "(no such event)"
