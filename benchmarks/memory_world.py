"""A hand-built team memory: past incidents with alerts, ranked hypotheses (some with verdicts)
and a log excerpt, inserted in bulk. The memory tests and benchmarks/memory_search.py build their
stores with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from incident.hypotheses import Evidence, HypothesisDraft
from incident.kinds import Kind
from incident.models import Alert, Hypothesis, Incident, TimelineEvent
from incident.timeline import event_id

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LOG = "2026-03-01 11:58:02.113 ERROR 1 --- [main] c.s.Checkout : IllegalStateException: promotions rule missing"


def incident_rows(n: int, *, start: int, at: datetime, component: str = "checkout") -> list[dict[str, Any]]:
    return [
        {
            "id": start + i,
            "dedup_key": f"k{start + i}",
            "source": "alertmanager",
            "title": f"{component} fails #{start + i}",
            "status": "resolved",
            "component": component,
            "page_at": at - timedelta(hours=i),
            "opened_at": at,
            "resolved_at": at - timedelta(hours=i) + timedelta(minutes=30),
        }
        for i in range(n)
    ]


def add_world(
    s: Session,
    rows: list[dict[str, Any]],
    *,
    kinds: list[tuple[str, str]],
    log: str | None,
    alert: str = "HighErrorRatio",
    verdicts: dict[str, str] | None = None,
) -> None:
    """Incidents with one alert, ranked analyzer hypotheses ``kinds`` [(kind, component)], and a log excerpt."""
    s.execute(insert(Incident), rows)
    s.execute(
        insert(Alert),
        [
            {
                "incident_id": r["id"],
                "source": "alertmanager",
                "fingerprint": f"fp{r['id']}",
                "name": alert,
                "status": "resolved",
                "labels": {"alertname": alert},
                "annotations": {},
                "starts_at": r["page_at"],
                "updated_at": r["page_at"],
            }
            for r in rows
        ],
    )
    s.execute(
        insert(Hypothesis),
        [
            {
                "id": f"hy_{r['id']}_{rank}",
                "incident_id": r["id"],
                "source": "analyzer",
                "rank": rank,
                "kind": kind,
                "component": comp,
                "confidence": 0.5,
                "summary": f"{kind} on {comp}",
                "status": (verdicts or {}).get(kind, "proposed"),
                "verdict_by": "alice" if (verdicts or {}).get(kind) else None,
            }
            for r in rows
            for rank, (kind, comp) in enumerate(kinds, start=1)
        ],
    )
    if log:
        s.execute(
            insert(TimelineEvent),
            [
                {
                    "id": event_id(r["id"], "log_excerpt", "log"),
                    "incident_id": r["id"],
                    "kind": "log_excerpt",
                    "at": r["page_at"],
                    "source": "kubernetes",
                    "summary": "log",
                    "details": {"lines": [log]},
                }
                for r in rows
            ],
        )


def drafts() -> list[HypothesisDraft]:
    ranked: tuple[tuple[Kind, float], ...] = (("deploy_regression", 0.6), ("config_change", 0.5), ("network", 0.3))
    return [
        HypothesisDraft(kind=k, component="checkout", confidence=c, summary=k, evidence=[Evidence(ref="ev_x")])
        for k, c in ranked
    ]


def now_incident(s: Session, *, id_: int = 100_000) -> int:
    add_world(s, incident_rows(1, start=id_, at=NOW), kinds=[("deploy_regression", "checkout")], log=LOG)
    return id_
