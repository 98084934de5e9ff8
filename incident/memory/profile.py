"""What an incident looks like to team memory: component, alerts, diagnosis, and signatures.

Signatures are short strings with a type prefix, read from what the gatherers stored:

- ``log: <template>``: an error line of a log excerpt, normalised (:mod:`incident.memory.normalise`);
- ``event: <reason>``: a Kubernetes Warning event reason (``BackOff``, ``OOMKilling``, ``FailedScheduling``);
- ``state: <reason>``: a container waiting reason, an unschedulable pod, a stalled rollout
  (``CrashLoopBackOff``, ``Unschedulable``, ``ProgressDeadlineExceeded``);
- ``exit: <reason> (<code>)``: how containers terminated (``OOMKilled (137)``, ``Error (1)``);
- ``node: <condition>=<status>``: a node condition that is off (``Ready=False``).

Everything is loaded in a few batched queries, so profiling hundreds of past incidents is cheap.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

from incident.details import (
    MODELS,
    Details,
    KubeEventDetails,
    LogExcerptDetails,
    NodeStateDetails,
    PodStateDetails,
)
from incident.hypotheses import shown
from incident.memory.normalise import error_templates
from incident.models import Alert, EventKind, Hypothesis, Incident, TimelineEvent

TOP_KINDS = 3
"""How many of the shown hypotheses describe an incident's diagnosis (plus any confirmed)."""
SIGNATURE_EVENTS = (EventKind.log_excerpt, EventKind.k8s_event, EventKind.pod_state, EventKind.node_state)
MAX_LOG_TEMPLATES = 40
"""Per incident: a noisy excerpt must not drown the other signatures."""
_TAGS = re.compile(r"\[[^\]]*\]")


@dataclass(frozen=True)
class Profile:
    incident_id: int
    component: str | None
    page_at: datetime
    alerts: frozenset[str]
    kinds: frozenset[str]
    """Kinds of the top shown hypotheses and of any confirmed one."""
    primary: frozenset[str]
    """The diagnosis in one word: the confirmed kinds when someone confirmed one, else the rank-1 kind."""
    signatures: frozenset[str] = frozenset()


def alert_name(name: str, labels: Mapping[str, Any] | None) -> str:
    """``alertname`` when the labels carry it; else the name without ``[FIRING:1]``-style tags."""
    label = (labels or {}).get("alertname")
    if isinstance(label, str) and label:
        return label
    return " ".join(_TAGS.sub(" ", name).split()) or name


def diagnosis(rows: Iterable[Hypothesis]) -> tuple[frozenset[str], frozenset[str]]:
    """(kinds, primary) of one incident's hypotheses (dropped ones excluded by the caller)."""
    rows = list(rows)
    top = shown(rows)
    confirmed = {r.kind for r in rows if r.status == "confirmed"}
    kinds = frozenset({r.kind for r in top[:TOP_KINDS]} | confirmed)
    primary = frozenset(confirmed) if confirmed else frozenset(r.kind for r in top[:1])
    return kinds, primary


def draft_diagnosis(kinds_in_rank_order: list[str]) -> tuple[frozenset[str], frozenset[str]]:
    """(kinds, primary) of hypotheses not stored yet, best first."""
    return frozenset(kinds_in_rank_order[:TOP_KINDS]), frozenset(kinds_in_rank_order[:1])


def event_signatures(kind: str, details: Mapping[str, Any]) -> set[str]:
    """The signatures one stored timeline event carries (see the module docstring)."""
    out: set[str] = set()
    typed = MODELS.get(kind, Details).parse(details)
    if isinstance(typed, LogExcerptDetails):
        out |= {f"log: {t}" for t in error_templates([str(x) for x in typed.lines])[:MAX_LOG_TEMPLATES]}
    elif isinstance(typed, KubeEventDetails) and typed.reason:
        out.add(f"event: {typed.reason}")
    elif isinstance(typed, PodStateDetails):
        for c in typed.containers:
            if c.get("state") == "waiting" and c.get("reason"):
                out.add(f"state: {c['reason']}")
            if c.get("state") == "terminated" and c.get("reason") and c.get("reason") != "Completed":
                out.add(f"exit: {c['reason']} ({c.get('exit_code')})")
            if c.get("last_state") == "terminated" and c.get("last_reason"):
                out.add(f"exit: {c['last_reason']} ({c.get('last_exit_code')})")
        for cond in typed.conditions:
            stalled = cond.get("type") in ("PodScheduled", "Progressing") and cond.get("status") == "False"
            if stalled and cond.get("reason"):
                out.add(f"state: {cond['reason']}")
    elif isinstance(typed, NodeStateDetails) and typed.type:
        out.add(f"node: {typed.type}={typed.status}")
    return out


def load_signatures(
    session: Session, incident_ids: Iterable[int], *, until: datetime | None = None
) -> dict[int, frozenset[str]]:
    """Signatures per incident; with ``until``, only from events stamped by then (the incident being
    matched is read as of the present: a replay must not match on what its data stamps later)."""
    ids = list(incident_ids)
    found: dict[int, set[str]] = defaultdict(set)
    if not ids:
        return {}
    query = select(TimelineEvent.incident_id, TimelineEvent.kind, TimelineEvent.details).where(
        TimelineEvent.incident_id.in_(ids), TimelineEvent.kind.in_([str(k) for k in SIGNATURE_EVENTS])
    )
    if until is not None:
        query = query.where(TimelineEvent.at <= until)
    rows = session.execute(query)
    for incident_id, kind, details in rows:
        found[incident_id] |= event_signatures(kind, details or {})
    return {i: frozenset(found.get(i, ())) for i in ids}


def load_alerts(session: Session, incident_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    ids = list(incident_ids)
    names: dict[int, set[str]] = defaultdict(set)
    if ids:
        for incident_id, name, labels in session.execute(
            select(Alert.incident_id, Alert.name, Alert.labels).where(Alert.incident_id.in_(ids))
        ):
            names[incident_id].add(alert_name(name, labels))
    return {i: frozenset(names.get(i, ())) for i in ids}


def load_hypotheses(session: Session, incident_ids: Iterable[int]) -> dict[int, list[Hypothesis]]:
    """Not dropped hypotheses per incident, without their bulky evidence and steps."""
    ids = list(incident_ids)
    out: dict[int, list[Hypothesis]] = defaultdict(list)
    if not ids:
        return {}
    columns = (
        *(Hypothesis.incident_id, Hypothesis.source, Hypothesis.rank, Hypothesis.kind, Hypothesis.component),
        *(Hypothesis.status, Hypothesis.verdict_by, Hypothesis.verdict_at, Hypothesis.summary),
    )
    query = (
        select(Hypothesis)
        .options(load_only(*columns))
        .where(Hypothesis.incident_id.in_(ids), Hypothesis.status != "dropped")
        .order_by(Hypothesis.incident_id, Hypothesis.source, Hypothesis.rank, Hypothesis.id)
    )
    for row in session.scalars(query):
        out[row.incident_id].append(row)
    return {i: out.get(i, []) for i in ids}


def profiles(
    session: Session,
    incidents: Iterable[Incident],
    *,
    hypotheses: Mapping[int, list[Hypothesis]],
    signatures: Mapping[int, frozenset[str]] | None = None,
) -> dict[int, Profile]:
    """Profiles of ``incidents`` from preloaded hypotheses (and signatures, when given)."""
    rows = list(incidents)
    alerts = load_alerts(session, [i.id for i in rows])
    out = {}
    for incident in rows:
        kinds, primary = diagnosis(hypotheses.get(incident.id, []))
        out[incident.id] = Profile(
            incident_id=incident.id,
            component=incident.component,
            page_at=incident.page_at,
            alerts=alerts[incident.id],
            kinds=kinds,
            primary=primary,
            signatures=(signatures or {}).get(incident.id, frozenset()),
        )
    return out
