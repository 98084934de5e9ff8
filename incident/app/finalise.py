"""How ranked hypotheses become the incident's record: the one path the analyzer and the agent share.

citations -> runbook steps -> memory feedback -> save -> proposed actions -> similar incidents.

Proposals are made here, as soon as hypotheses are saved, so a watcher alone (no TUI open)
leaves the approvable actions in the store for ``incident audit``, the CLI and any other reader.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from incident.actions.proposals import sync_proposals
from incident.analysis import rank
from incident.analysis.context import AnalysisInput, load_input
from incident.analysis.steps import attach_steps
from incident.config import Settings
from incident.errors import CopilotError
from incident.hypotheses import HypothesisDraft, cite, save_hypotheses
from incident.memory import safe_apply_feedback, safe_record_similar
from incident.runbooks import RunbookSet

log = logging.getLogger(__name__)


def finalise(
    session: Session,
    incident_id: int,
    drafts: list[HypothesisDraft],
    *,
    source: str,
    settings: Settings | None,
    runbooks: RunbookSet | None,
    component_label: str = "service",
    at: datetime | None = None,
    data: AnalysisInput | None = None,
    extra_refs: set[str] | None = None,
) -> list[HypothesisDraft]:
    """Check ``drafts``' citations (``extra_refs``: ids only this run knows, the agent's tool
    results), attach runbook steps (from ``data``, read at the page time when omitted), let team
    memory move confidences, save them as ``source``'s hypotheses stamped ``at``, propose the
    actions of their ready steps (under ``settings``' ``[actions]``; none without settings) and
    record similar past incidents. Returns the saved drafts, best first. The caller commits."""
    drafts = cite(session, incident_id, drafts, extra=extra_refs)
    if runbooks is not None:
        drafts = _with_steps(session, incident_id, drafts, runbooks, component_label, data)
    drafts = safe_apply_feedback(session, incident_id, drafts)  # team memory: verdicts on similar incidents
    save_hypotheses(session, incident_id, drafts, source=source, at=at)
    if settings is not None:
        _propose(session, incident_id, settings)
    safe_record_similar(session, incident_id, at=at)
    return drafts


def run_analysis(
    session: Session,
    incident_id: int,
    *,
    runbooks: RunbookSet | None = None,
    component_label: str = "service",
    at: datetime | None = None,
    settings: Settings | None = None,
) -> list[HypothesisDraft]:
    """Analyze the incident as known at ``at`` and finalise the analyzer's hypotheses."""
    data = load_input(session, incident_id, now=at)
    return finalise(
        session,
        incident_id,
        rank(data),
        source="analyzer",
        settings=settings,
        runbooks=runbooks,
        component_label=component_label,
        at=at,
        data=data,
    )


def _with_steps(
    session: Session,
    incident_id: int,
    drafts: list[HypothesisDraft],
    runbooks: RunbookSet,
    component_label: str,
    data: AnalysisInput | None,
) -> list[HypothesisDraft]:
    """Runbook steps matched from runbooks only (never from a model); hypotheses without steps
    beat no hypotheses, so a failure here is logged and the drafts go on without."""
    try:
        data = data if data is not None else load_input(session, incident_id)
        return attach_steps(session, data, drafts, runbooks, component_label=component_label)
    except Exception:
        log.exception("cannot match runbooks to the hypotheses of incident %s", incident_id)
        return drafts


def _propose(session: Session, incident_id: int, settings: Settings) -> None:
    """Proposed actions for the shown hypotheses' ready action steps; a refusal is logged, the
    hypotheses stay saved (a reader syncing later proposes them)."""
    try:
        sync_proposals(session, incident_id=incident_id, settings=settings)
    except CopilotError as exc:
        log.warning("cannot propose actions for incident %s: %s", incident_id, exc.message)
