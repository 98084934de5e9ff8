"""Hypotheses ranked at one moment appear in rank order on the timeline (they came in the order of
their hashed event ids: #6, #2, #4, #5, #3, #1 in the demo)."""

from __future__ import annotations

from datetime import UTC, datetime

from incident.models import Incident
from incident.store import Store
from incident.timeline import event_id, log_event, timeline

AT = datetime(2026, 1, 13, 14, 7, tzinfo=UTC)


def test_hypotheses_ranked_together_are_listed_by_rank(store: Store) -> None:
    with store.session() as s:
        incident = Incident(dedup_key="t:order", source="alertmanager", title="t", component="c", page_at=AT)
        s.add(incident)
        s.flush()
        iid = incident.id
    keys = [f"hypothesis/h{n}" for n in range(6)]
    by_id = sorted(keys, key=lambda k: event_id(iid, "hypothesis", k), reverse=True)  # ids run against rank
    with store.session() as s:
        for rank, key in enumerate(by_id, start=1):
            log_event(
                s,
                incident_id=iid,
                kind="hypothesis",
                key=key,
                at=AT,
                source="analyzer",
                summary=f"#{rank}",
                details={"rank": rank},
            )
        log_event(s, incident_id=iid, kind="alert", key="a", at=AT, source="alertmanager", summary="alert")
        shown = [e.summary for e in timeline(s, iid) if e.kind == "hypothesis"]
    assert shown == [f"#{rank}" for rank in range(1, 7)]
