"""The offline analyzer: deterministic, no network, no LLM.

``analyze`` reads one incident from the store (timeline, metric windows, catalog graph) and
returns ranked :class:`~incident.hypotheses.HypothesisDraft` objects citing their evidence. It
never writes: saving goes through :func:`incident.app.finalise.run_analysis`, the path the agent's
hypotheses take too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from incident.analysis.checks import all_findings
from incident.analysis.context import AnalysisInput, load_input
from incident.analysis.localisation import departures
from incident.analysis.rank import combine
from incident.analysis.steps import attach_steps
from incident.hypotheses import Evidence, HypothesisDraft, cite
from incident.runbooks import RunbookSet

MAX_HYPOTHESES = 6


def rank(data: AnalysisInput) -> list[HypothesisDraft]:
    """The ranked hypotheses for ``data``, citations not checked yet and without runbook steps."""
    candidates = combine(data, all_findings(data), departures(data))
    drafts: list[HypothesisDraft] = []
    seen_components: set[str] = set()
    for c in candidates:
        # the first five hypotheses are on five different components (the ranking covers more
        # ground); after that a component's alternative kinds may follow
        if c["component"] in seen_components and len(seen_components) < 5:
            continue
        seen_components.add(c["component"])
        drafts.append(
            HypothesisDraft(
                kind=c["kind"],
                component=c["component"],
                confidence=round(c["score"], 3),
                summary=c["summary"],
                evidence=[Evidence(ref=ref) for ref in c["evidence"]],
                refutation=c["refutation"],
                source="analyzer",
                details={"why": c["why"]},
            )
        )
        if len(drafts) >= MAX_HYPOTHESES:
            break
    return drafts


def analyze(
    session: Session,
    incident_id: int,
    *,
    runbooks: RunbookSet | None = None,
    component_label: str = "service",
    now: datetime | None = None,
) -> list[HypothesisDraft]:
    """Ranked hypotheses with their evidence (and runbook steps when ``runbooks`` is given), from
    what was known at ``now`` (default: the page time)."""
    data = load_input(session, incident_id, now=now)
    drafts = cite(session, incident_id, rank(data))
    if runbooks is not None:
        drafts = attach_steps(session, data, drafts, runbooks, component_label=component_label)
    return drafts
