"""What resolved past incidents: the actions that ran, the causes people confirmed, the postmortem."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from incident.memory.model import Accepted, PastAction, ResolvedBy
from incident.models import Action, ActionStatus, Hypothesis, Postmortem


def postmortem_command(incident_id: int) -> str:
    return f"incident postmortem {incident_id}"


def resolutions(
    session: Session, incident_ids: Iterable[int], *, hypotheses: Mapping[int, list[Hypothesis]]
) -> dict[int, ResolvedBy]:
    """:class:`ResolvedBy` per incident, from its succeeded actions, confirmed hypotheses (taken
    from ``hypotheses``, already loaded) and written postmortem drafts."""
    ids = list(incident_ids)
    if not ids:
        return {}
    actions: dict[int, list[PastAction]] = defaultdict(list)
    query = (
        select(Action.incident_id, Action.title, Action.type, Action.target, Action.executed_at, Action.executed_by)
        .where(Action.incident_id.in_(ids), Action.status == str(ActionStatus.succeeded))
        .order_by(Action.incident_id, Action.executed_at, Action.id)
    )
    for incident_id, title, type_, target, at, who in session.execute(query):
        actions[incident_id].append(PastAction(title=title, type=type_, target=target, at=at, who=who))
    paths: dict[int, str] = {}
    written = (
        select(Postmortem.incident_id, Postmortem.path)
        .where(Postmortem.incident_id.in_(ids), Postmortem.path.is_not(None))
        .order_by(Postmortem.incident_id, Postmortem.created_at, Postmortem.id)
    )
    for incident_id, path in session.execute(written):
        if path is not None:  # never, by the query; the column is nullable
            paths[incident_id] = path  # the latest wins
    out = {}
    for i in ids:
        accepted = [
            Accepted(
                kind=h.kind, component=h.component, summary=h.summary, source=h.source, by=h.verdict_by, at=h.verdict_at
            )
            for h in hypotheses.get(i, [])
            if h.status == "confirmed"
        ]
        out[i] = ResolvedBy(actions=actions[i], accepted=accepted, postmortem=paths.get(i) or postmortem_command(i))
    return out


def describe(resolved: ResolvedBy) -> str:
    """One line for the timeline: ``resolved by: ...; confirmed: deploy_regression on checkout``."""
    parts = []
    if resolved.actions:
        parts.append("resolved by: " + ", ".join(a.title for a in resolved.actions))
    if resolved.accepted:
        parts.append("confirmed: " + ", ".join(f"{a.kind} on {a.component}" for a in resolved.accepted))
    return "; ".join(parts)
