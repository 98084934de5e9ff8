"""Find the past incidents most similar to one incident, in the same store.

Only incidents paged before this one count (a replay of last month sees last month's past), and
not the open ones paged within :data:`SAME_OUTAGE` before it.
Cheap at scale: SQL picks at most :data:`MAX_CANDIDATES` candidates (same or neighbouring
component, a shared alert name, or paged within :data:`RECENT`; the first two kinds first, then
those with verdicts, then the most recent), their alerts and hypotheses are scored in a few
batched queries, and only the :data:`MAX_DEEP` best of those that could still reach the
threshold have their timeline signatures read. Nothing is cached in the process: another
process's verdict or action shows in the next lookup.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, exists, or_, select
from sqlalchemy.orm import Session, load_only

from incident import clock
from incident.errors import CopilotError
from incident.memory.model import Match
from incident.memory.profile import (
    Profile,
    diagnosis,
    draft_diagnosis,
    load_alerts,
    load_hypotheses,
    load_signatures,
    profiles,
)
from incident.memory.resolution import resolutions
from incident.memory.similarity import THRESHOLD, WEIGHTS, load_catalog, quick_score, similarity
from incident.models import Alert, Hypothesis, Incident, IncidentStatus

RECENT = timedelta(days=7)
SAME_OUTAGE = timedelta(hours=1)
"""An incident still open that was paged this close before is the same outage (a caller paging on
its failing dependency), not history: it is left out."""
MAX_CANDIDATES = 200
MAX_DEEP = 50
DEFAULT_LIMIT = 3


class TeamMemoryError(CopilotError):
    title = "Team memory"


@dataclass
class Found:
    """Matches plus the past incidents' hypotheses (feedback reads their verdicts)."""

    matches: list[Match]
    hypotheses: dict[int, list[Hypothesis]]


def _profile(session: Session, incident: Incident, kinds: Sequence[str] | None) -> Profile:
    if kinds is None:
        diag = diagnosis(load_hypotheses(session, [incident.id])[incident.id])
    else:
        diag = draft_diagnosis(list(kinds))
    return Profile(
        incident_id=incident.id,
        component=incident.component,
        page_at=incident.page_at,
        alerts=load_alerts(session, [incident.id])[incident.id],
        kinds=diag[0],
        primary=diag[1],
        signatures=load_signatures(session, [incident.id], until=clock.now())[incident.id],
    )


def _candidates(session: Session, incident: Incident, related: set[str]) -> list[Incident]:
    names = select(Alert.name).where(Alert.incident_id == incident.id)
    shares_alert = Incident.id.in_(select(Alert.incident_id).where(Alert.name.in_(names)))
    strong = or_(Incident.component.in_(sorted(related)), shares_alert)
    judged = exists().where(Hypothesis.incident_id == Incident.id, Hypothesis.status.in_(["confirmed", "rejected"]))
    query = (
        select(Incident)
        .options(load_only(Incident.title, Incident.component, Incident.page_at, Incident.status, Incident.resolved_at))
        .where(
            Incident.page_at < incident.page_at,
            Incident.id != incident.id,
            or_(Incident.status == str(IncidentStatus.resolved), Incident.page_at < incident.page_at - SAME_OUTAGE),
            or_(strong, Incident.page_at >= incident.page_at - RECENT),
        )
        .order_by(case((strong, 0), else_=1), case((judged, 0), else_=1), Incident.page_at.desc(), Incident.id.desc())
        .limit(MAX_CANDIDATES)
    )
    return list(session.scalars(query))


def search(
    session: Session, incident_id: int, *, limit: int = DEFAULT_LIMIT, kinds: Sequence[str] | None = None
) -> Found:
    """:func:`find_similar`, also returning the loaded hypotheses of the matches."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise TeamMemoryError(f"no incident {incident_id} in the store")
    catalog = load_catalog(session)
    me = _profile(session, incident, kinds)
    related = ({incident.component} | catalog.neighbours(incident.component)) - {None}
    candidates = _candidates(session, incident, {r for r in related if r})
    hypotheses = load_hypotheses(session, [c.id for c in candidates])
    quick = profiles(session, candidates, hypotheses=hypotheses)
    reachable = THRESHOLD - WEIGHTS["signatures"]
    scored = [(quick_score(me, p, catalog), p) for p in quick.values()]
    deep = sorted((s for s in scored if s[0] >= reachable - 1e-9), key=lambda s: (-s[0], s[1].incident_id))[:MAX_DEEP]
    signatures = load_signatures(session, [p.incident_id for _, p in deep])
    by_id = {c.id: c for c in candidates}
    found = []
    for _, p in deep:
        result = similarity(me, dataclasses.replace(p, signatures=signatures[p.incident_id]), catalog)
        if result.score >= THRESHOLD:
            found.append((result, by_id[p.incident_id]))
    found.sort(key=lambda f: (-f[0].score, -f[1].page_at.timestamp(), f[1].id))
    found = found[:limit]
    resolved = resolutions(session, [i.id for _, i in found], hypotheses=hypotheses)
    matches = [
        Match(
            past_incident_id=i.id,
            title=i.title,
            component=i.component,
            page_at=i.page_at,
            status=i.status,
            score=r.score,
            parts=r.parts,
            reasons=r.reasons,
            resolved_by=resolved[i.id],
            resolved_at=i.resolved_at,
            time_to_resolve_seconds=(i.resolved_at - i.page_at).total_seconds() if i.resolved_at else None,
        )
        for r, i in found
    ]
    return Found(matches, {m.past_incident_id: hypotheses.get(m.past_incident_id, []) for m in matches})


def find_similar(
    session: Session, incident_id: int, *, limit: int = DEFAULT_LIMIT, kinds: Sequence[str] | None = None
) -> list[Match]:
    """The past incidents most similar to ``incident_id`` (best first, at most ``limit``), each
    with its score, reasons and what resolved it. ``kinds`` (best first) stands in for the
    incident's stored hypotheses, for drafts not saved yet."""
    return search(session, incident_id, limit=limit, kinds=kinds).matches
