"""A small incident built in the store by hand: checkout paged at 14:07 after revision 8 at 13:59:30,
errors from 14:03, a note by dave holding a password and a token, bob confirms the deploy, resolved at 14:27."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from incident import service
from incident.feedback import set_verdict
from incident.hypotheses import Evidence, HypothesisDraft, save_hypotheses
from incident.models import Alert, Component, Incident, IncidentStatus, MetricWindow
from incident.store import Store
from incident.timeline import log_event, window_id

PAGE = datetime(2026, 1, 13, 14, 7, tzinfo=UTC)
SECRET = "hunter2-very-secret"
TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)


@pytest.fixture
def incident_id(store: Store) -> int:
    """checkout paged at 14:07 after revision 8 at 13:59:30; errors from 14:03; bob confirms; resolved at 14:27."""
    with store.session() as s:
        s.add_all([Component(name="checkout", owner="team-checkout"), Component(name="shop-db", owner="team-platform")])
        incident = Incident(
            dedup_key="alertmanager:checkout:fp1",
            source="alertmanager",
            title="checkout: more than 5% of requests fail",
            severity="critical",
            component="checkout",
            owner="team-checkout",
            namespace="shop",
            oncall="Bob Example",
            page_at=PAGE,
        )
        s.add(incident)
        s.flush()
        iid = incident.id
        s.add(
            Alert(
                incident_id=iid,
                source="alertmanager",
                fingerprint="fp1",
                name="HighErrorRatio",
                status="firing",
                component="checkout",
                starts_at=PAGE,
            )
        )
        start = PAGE - timedelta(minutes=30)
        values = [0.003] * 26 + [0.12, 0.18, 0.2, 0.15, 0.1]
        points = [[(start + timedelta(minutes=i)).timestamp(), v] for i, v in enumerate(values)]
        mw = window_id(iid, "checkout", "error_ratio")
        s.add(
            MetricWindow(
                id=mw,
                incident_id=iid,
                component="checkout",
                signal="error_ratio",
                query="q",
                start=start,
                end=PAGE,
                step_seconds=60.0,
                points=points,
            )
        )
        deploy = log_event(
            s,
            incident_id=iid,
            kind="deploy",
            key="deploy/checkout/8",
            at=PAGE - timedelta(minutes=7, seconds=30),
            source="kubernetes",
            component="checkout",
            summary="checkout rolled out revision 8 from 7",
        )
        log_event(
            s,
            incident_id=iid,
            kind="metric_change",
            key="metric/checkout/error_ratio",
            at=PAGE - timedelta(minutes=4),
            source="prometheus",
            component="checkout",
            summary="error ratio 0.3% -> 18% from 14:03 UTC on checkout",
            details={"signal": "error_ratio", "before": 0.003, "after": 0.18, "after_text": "18%"},
        )
        log_event(
            s,
            incident_id=iid,
            kind="note",
            key="note/dave/1",
            at=PAGE + timedelta(minutes=2),
            source="dave",
            summary=f"checked the db by hand: password={SECRET} still works; token {TOKEN}",
        )
        ids = save_hypotheses(
            s,
            iid,
            [
                HypothesisDraft(
                    kind="deploy_regression",
                    component="checkout",
                    confidence=0.7,
                    summary="checkout rolled out revision 8 shortly before the errors began",
                    evidence=[Evidence(ref=deploy), Evidence(ref=mw)],
                ),
                HypothesisDraft(
                    kind="dependency_failure",
                    component="shop-db",
                    confidence=0.3,
                    summary="shop-db is slow",
                    evidence=[Evidence(ref=mw)],
                ),
            ],
            source="analyzer",
            at=PAGE,
        )
        set_verdict(s, ids[0], "confirmed", who="bob")
        service.set_status(
            s,
            incident=incident,
            status=IncidentStatus.resolved,
            at=PAGE + timedelta(minutes=20),
            reason="every alert resolved",
            source="alertmanager",
        )
    return iid


def section(markdown: str, heading: str) -> str:
    rest = markdown[markdown.index(heading + "\n") + len(heading) + 1 :]
    nxt = re.search(r"^(## |---$)", rest, re.M)
    return rest[: nxt.start()] if nxt else rest
