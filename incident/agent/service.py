"""Run the agent on one incident: investigate, check citations, judge, save; or fall back cleanly.

Without a key, or when the Messages API fails (after the SDK's retries), the analyzer's
hypotheses stand: :func:`run_agent` returns them with ``fallback=True`` and the reason, and a note
on the timeline says why. The run's usage and cost are recorded on the timeline either way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from incident.agent.budget import UsageTotals
from incident.agent.client import build_client
from incident.agent.events import AgentEvent, AgentFinished, AgentStarted, EventSink
from incident.agent.ground import Ground, build_ground
from incident.agent.ground_prompt import opening_context
from incident.agent.grounding import Grounding
from incident.agent.judge import judge
from incident.agent.loop import Loop
from incident.agent.render import clip, evidence_text, redact_value, render, render_timeline
from incident.agent.tools import AgentTools
from incident.app.finalise import finalise
from incident.config import Settings
from incident.details import HypothesisDetails
from incident.hypotheses import HypothesisDraft, check_citations, hypothesis_id, known_refs
from incident.kinds import MEANING
from incident.memory import without_memory
from incident.models import EventKind, Hypothesis, Incident, TimelineEvent, utcnow
from incident.registry import Connectors
from incident.runbooks import RunbookSet, configured_runbooks
from incident.store import Store
from incident.timeline import log_event, timeline
from incident.timeutil import as_utc

log = logging.getLogger(__name__)


@dataclass
class AgentOutcome:
    drafts: list[HypothesisDraft]
    """The agent's judged hypotheses, best first; the analyzer's on fallback."""
    reason: str
    usage: dict[str, Any]
    fallback: bool
    dropped: list[HypothesisDraft] = field(default_factory=list)
    """Hypotheses the judge found unsupported (stored with status ``dropped``)."""


def describe_api_error(exc: Exception) -> str | None:
    """The fallback reason for an SDK error, or None when ``exc`` is not one."""
    import anthropic  # imported only once the agent is really in use (it is slow to import)

    if not isinstance(exc, anthropic.APIError):
        return None
    if isinstance(exc, anthropic.APITimeoutError):
        return "api_error: the Messages API timed out"
    if isinstance(exc, anthropic.APIConnectionError):
        return f"api_error: cannot reach the Messages API ({exc.message})"
    if isinstance(exc, anthropic.AuthenticationError):
        return "api_error: the API key was rejected (401)"
    if isinstance(exc, anthropic.APIStatusError):
        kind = exc.body.get("error", {}).get("type") if isinstance(exc.body, dict) else None
        return f"api_error: HTTP {exc.status_code}" + (f" {kind}" if kind else "") + f": {clip(exc.message, 200)}"
    return f"api_error: {type(exc).__name__}: {clip(str(exc), 200)}"


def _safe(on_event: EventSink | None) -> EventSink:
    def emit(event: AgentEvent) -> None:
        if on_event is None:
            return
        try:
            on_event(event)
        except Exception:  # a broken UI callback must not stop the diagnosis
            log.exception("agent event callback failed")

    return emit


def run_agent(
    *,
    settings: Settings,
    store: Store,
    connectors: Connectors,
    incident_id: int,
    analyzer_drafts: list[HypothesisDraft],
    on_event: EventSink | None = None,
    runbooks: RunbookSet | None = None,
) -> AgentOutcome:
    """Investigate the incident with Claude, starting from ``analyzer_drafts``; never raises for
    API or tool failures (the outcome says ``fallback`` and why). The kept hypotheses are
    finalised like the analyzer's (:func:`incident.app.finalise.finalise`), with ``runbooks``
    (the configured ones when omitted)."""
    emit = _safe(on_event)
    cfg = settings.agent
    usage = UsageTotals()

    def fallback(reason: str) -> AgentOutcome:
        log.warning("agent: falling back to the analyzer for incident %s: %s", incident_id, reason)
        _note(store, incident_id, f"agent unavailable, analyzer hypotheses stand: {reason}", usage, reason)
        emit(AgentFinished(reason))
        return AgentOutcome(list(analyzer_drafts), reason, usage.as_dict(), fallback=True)

    try:
        client = build_client(cfg)
    except Exception as exc:  # bad provider settings, missing cloud extras
        return fallback(f"no_client: {type(exc).__name__}: {exc}")
    if client is None:
        return fallback("no_key: no API key ([agent] api_key or ANTHROPIC_API_KEY)")

    with store.session() as s:
        incident = s.get(Incident, incident_id)
        if incident is None:
            return fallback(f"no_incident: incident {incident_id} does not exist")
        refs = known_refs(s, incident_id)
        context = {"title": incident.title, "component": incident.component, "page_at": incident.page_at.isoformat()}
        page_at, component, namespace = incident.page_at, incident.component, incident.namespace
        at = page_at if settings.replay.enabled else min(utcnow(), page_at + settings.watcher.follow_for)
        ground, events = _ground(s, incident_id, at, analyzer_drafts)
        opening = render(
            "investigate",
            incident=incident,
            page_at=context["page_at"],
            # memory adjusts the agent's own answer once: the prompt gets the analyzer's priors
            **opening_context(ground, page_at, [without_memory(d) for d in analyzer_drafts]),
            timeline=render_timeline(events),
        )
    tools = AgentTools(
        settings=settings,
        store=store,
        connectors=connectors,
        incident_id=incident_id,
        page_at=page_at,
        component=component,
        namespace=namespace,
    )
    emit(AgentStarted(incident_id, cfg.model, cfg.max_steps))
    try:
        result = Loop(client, cfg, tools, usage, emit).run(
            system=render("system", kinds=MEANING, max_steps=cfg.max_steps), opening=opening
        )
        if result.drafts is None:
            return fallback(result.reason)
        drafts = _dedupe(result.drafts)
        checked = [check_citations(d, refs, extra=set(tools.results)) for d in drafts]
        contents = {rid: r.for_model() for rid, r in tools.results.items()}
        with store.session() as s:
            texts = {e.ref: evidence_text(s, e.ref, contents) for d in checked for e in d.evidence}
        grounding = Grounding(ground, {rid: r.args for rid, r in tools.results.items()}) if ground else None
        judged = judge(
            client,
            cfg=cfg,
            usage=usage,
            on_event=emit,
            drafts=checked,
            evidence=texts.__getitem__,
            context=context,
            grounding=grounding,
        )
    except Exception as exc:  # API failures, and our own bugs, must not take the analyzer's answer down
        api = describe_api_error(exc)
        if api is None:
            log.exception("agent failed on incident %s", incident_id)
        return fallback(api or f"agent_error: {type(exc).__name__}: {exc}")
    finish = [_with_why(_with_tool_results(d, tools), grounding) for d in judged.kept]
    dropped = [_with_why(_with_tool_results(d, tools), grounding) for d in judged.dropped]
    reason = result.reason + (f"; {judged.note}" if judged.note else "")
    with store.session() as s:
        kept = finalise(
            s,
            incident_id,
            finish,
            source="agent",
            settings=settings,
            runbooks=_runbooks(settings, runbooks),
            component_label=settings.metrics.component_label,
            at=at,
            extra_refs=set(tools.results),
        )
        kept_ids = {hypothesis_id(incident_id, "agent", d.kind, d.component) for d in kept}
        _save_dropped(s, incident_id, dropped, kept_ids, at)
    summary = f"agent: {len(kept)} hypotheses" + (f", {len(dropped)} dropped by the judge" if dropped else "")
    _note(store, incident_id, f"{summary}; {reason}", usage, reason, at)
    emit(AgentFinished(reason))
    return AgentOutcome(kept, reason, usage.as_dict(), fallback=False, dropped=dropped)


def _ground(
    s: Session, incident_id: int, at: datetime, analyzer: list[HypothesisDraft]
) -> tuple[Ground | None, list[TimelineEvent]]:
    """The analyzer's ground at ``at`` and the events known by then; no ground when it cannot be
    read (the agent then runs without it, its hypotheses judged by the LLM judge alone)."""
    try:
        return build_ground(s, incident_id, present=at, analyzer=analyzer)
    except Exception:
        log.exception("cannot read the analyzer's ground for incident %s", incident_id)
        return None, [e for e in timeline(s, incident_id) if as_utc(e.at) <= as_utc(at)]


def _with_why(draft: HypothesisDraft, grounding: Grounding | None) -> HypothesisDraft:
    """A ``details["why"]`` the explain view can show: relevance, onset of the cited evidence,
    and the ground check (nothing the model said)."""
    if grounding is None:
        return draft
    return draft.model_copy(update={"details": {**draft.details, "why": grounding.why(draft)}})


def _dedupe(drafts: list[HypothesisDraft]) -> list[HypothesisDraft]:
    seen: set[tuple[str, str]] = set()
    out = []
    for d in drafts:
        if (d.kind, d.component) not in seen:
            seen.add((d.kind, d.component))
            out.append(d)
    return out


def _with_tool_results(draft: HypothesisDraft, tools: AgentTools) -> HypothesisDraft:
    """Keep the content of cited tool results with the hypothesis: they exist only in this run."""
    cited = {e.ref: tools.results[e.ref] for e in draft.evidence if e.ref in tools.results}
    if not cited:
        return draft
    stored = {
        rid: {"tool": r.name, "args": redact_value(r.args), "status": r.status, "content": clip(r.content, 2000)}
        for rid, r in cited.items()
    }
    return draft.model_copy(update={"details": {**draft.details, "tool_results": stored}})


def _runbooks(settings: Settings, runbooks: RunbookSet | None) -> RunbookSet | None:
    """``runbooks``, else the configured ones; None (no steps) when those cannot be read."""
    if runbooks is not None:
        return runbooks
    try:
        return configured_runbooks(settings.runbooks)
    except Exception:  # hypotheses without steps beat no hypotheses
        log.exception("cannot read the configured runbooks; the agent's hypotheses get no steps")
        return None


def _save_dropped(
    s: Session, incident_id: int, dropped: list[HypothesisDraft], kept_ids: set[str], at: datetime
) -> None:
    now = utcnow()
    for d in dropped:
        hid = hypothesis_id(incident_id, "agent", d.kind, d.component)
        if hid in kept_ids:
            continue
        row = s.get(Hypothesis, hid) or Hypothesis(id=hid, incident_id=incident_id, source="agent", created_at=now)
        if row.status not in (None, "proposed", "dropped"):
            continue  # a person already confirmed or rejected it
        row.rank, row.kind, row.component, row.confidence = None, d.kind, d.component, round(d.confidence, 4)
        row.summary, row.refutation, row.status = d.summary, d.refutation, "dropped"
        row.evidence, row.steps, row.details, row.updated_at = [e.model_dump() for e in d.evidence], [], d.details, now
        s.add(row)
        judge = HypothesisDetails.parse(d.details).judge
        reason = (judge or {}).get("reason", "")
        log_event(
            s,
            incident_id=incident_id,
            kind=EventKind.hypothesis,
            key=f"hypothesis/{hid}",
            at=at,
            source="agent",
            component=d.component,
            summary=f"dropped by the judge: {d.kind} on {d.component}: {d.summary} ({reason})",
            details={"hypothesis_id": hid, "status": "dropped", "judge": judge},
        )


def _note(
    store: Store, incident_id: int, summary: str, usage: UsageTotals, reason: str, at: datetime | None = None
) -> None:
    """One note per incident on the timeline about the last agent run (updated by later runs)."""
    try:
        with store.session() as s:
            if s.get(Incident, incident_id) is None:
                return
            log_event(
                s,
                incident_id=incident_id,
                kind=EventKind.note,
                key="agent/run",
                at=at or utcnow(),
                source="agent",
                summary=summary,
                details={"reason": reason, "usage": usage.as_dict()},
            )
    except Exception:  # the note is informational; never fail the run for it
        log.exception("cannot record the agent run on incident %s", incident_id)
