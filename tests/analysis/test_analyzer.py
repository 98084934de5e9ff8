"""The offline analyzer on small, hand-built incidents in a real SQLite store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from incident.analysis import analyze
from incident.app.finalise import run_analysis
from incident.hypotheses import known_refs, ranked
from incident.models import Component, Incident, MetricWindow
from incident.store import Store
from incident.timeline import log_event, timeline, window_id

PAGE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
STEP = 60


def incident(store: Store, component: str = "frontend") -> int:
    with store.session() as s:
        inc = Incident(dedup_key=f"t:{component}", source="alertmanager", title="t", component=component, page_at=PAGE)
        s.add(inc)
        s.flush()
        return inc.id


def catalog(store: Store, graph: dict[str, list[str]], types: dict[str, str] | None = None) -> None:
    with store.session() as s:
        for name, deps in graph.items():
            s.add(Component(name=name, depends_on=deps, type=(types or {}).get(name, "service")))


def window(
    store: Store,
    iid: int,
    component: str,
    signal: str,
    base: float,
    after: float,
    *,
    onset_min: int = 3,
    noise: float = 0.02,
    seed: int = 0,
) -> str:
    rng = np.random.default_rng(seed)
    n = 60
    ts = [(PAGE - timedelta(minutes=n - 1 - i)).timestamp() for i in range(n)]
    vals = [(after if i >= n - onset_min else base) * (1 + rng.normal(0, noise)) for i in range(n)]
    wid = window_id(iid, component, signal)
    with store.session() as s:
        s.add(
            MetricWindow(
                id=wid,
                incident_id=iid,
                component=component,
                signal=signal,
                query="q",
                start=PAGE - timedelta(hours=1),
                end=PAGE,
                step_seconds=STEP,
                points=[[t, v] for t, v in zip(ts, vals, strict=True)],
            )
        )
    return wid


def test_oom_kill_is_the_top_hypothesis_and_cites_the_pod(store: Store) -> None:
    iid = incident(store, "checkout")
    catalog(store, {"checkout": ["cart"], "cart": []})
    window(store, iid, "cart", "memory", 400e6, 1000e6)
    window(store, iid, "checkout", "error_ratio", 0.001, 0.08)
    with store.session() as s:
        pod_ev = log_event(
            s,
            incident_id=iid,
            kind="pod_state",
            key="pod/shop/cart-1",
            at=PAGE - timedelta(minutes=2),
            source="kubernetes",
            component="cart",
            summary="pod cart-1: OOMKilled",
            details={
                "pod": "cart-1",
                "containers": [
                    {
                        "name": "app",
                        "reason": None,
                        "state": "running",
                        "last_reason": "OOMKilled",
                        "last_state": "terminated",
                        "last_exit_code": 137,
                        "restarts": 2,
                        "limits": {"memory": "1Gi"},
                    }
                ],
            },
        )
    with store.session() as s:
        drafts = analyze(s, iid)
    top = drafts[0]
    assert (top.kind, top.component) == ("oom", "cart")
    assert pod_ev in [e.ref for e in top.evidence]
    assert top.confidence > 0.8
    assert top.refutation


def test_failing_dependency_ranks_above_callers_that_echo_it(store: Store) -> None:
    iid = incident(store, "frontend")
    catalog(store, {"frontend": ["api"], "api": ["db"], "db": []}, {"db": "database"})
    window(store, iid, "frontend", "latency_p99", 0.2, 2.0, seed=1)
    window(store, iid, "api", "latency_p99", 0.1, 3.0, seed=2)
    window(store, iid, "db", "cpu", 0.5, 2.5, seed=3)
    with store.session() as s:
        drafts = analyze(s, iid)
    order = list(dict.fromkeys(d.component for d in drafts))
    assert order[:3] == ["db", "api", "frontend"]
    assert drafts[0].kind == "dependency_failure"


def test_traffic_surge_at_the_entry_explains_downstream_load(store: Store) -> None:
    iid = incident(store, "frontend")
    catalog(store, {"frontend": ["api"], "api": []})
    window(store, iid, "frontend", "request_rate", 100, 360, seed=4)
    window(store, iid, "api", "request_rate", 80, 250, seed=5)
    window(store, iid, "api", "latency_p99", 0.1, 0.9, seed=6)
    with store.session() as s:
        drafts = analyze(s, iid)
    assert (drafts[0].kind, drafts[0].component) == ("traffic_surge", "frontend")


def test_recent_rollout_followed_by_errors_is_a_deploy_regression(store: Store) -> None:
    iid = incident(store, "checkout")
    catalog(store, {"checkout": []})
    window(store, iid, "checkout", "error_ratio", 0.002, 0.2)
    with store.session() as s:
        log_event(
            s,
            incident_id=iid,
            kind="deploy",
            key="rollout/x",
            at=PAGE - timedelta(minutes=8),
            source="kubernetes",
            component="checkout",
            summary="checkout rolled out revision 8 from 7",
        )
    with store.session() as s:
        drafts = analyze(s, iid)
    assert (drafts[0].kind, drafts[0].component) == ("deploy_regression", "checkout")


def test_a_rollout_with_nothing_wrong_after_it_stays_a_weak_suspect(store: Store) -> None:
    iid = incident(store, "checkout")
    catalog(store, {"checkout": ["cart"], "cart": []})
    window(store, iid, "cart", "error_ratio", 0.002, 0.3)
    window(store, iid, "checkout", "error_ratio", 0.002, 0.0021)
    with store.session() as s:
        log_event(
            s,
            incident_id=iid,
            kind="deploy",
            key="rollout/y",
            at=PAGE - timedelta(minutes=30),
            source="kubernetes",
            component="checkout",
            summary="checkout rolled out revision 3 from 2",
        )
    with store.session() as s:
        drafts = analyze(s, iid)
    assert drafts[0].component == "cart"
    deploy = [d for d in drafts if d.kind == "deploy_regression"]
    assert deploy and deploy[0].confidence < drafts[0].confidence


def test_every_citation_resolves_and_hypotheses_land_on_the_timeline(store: Store) -> None:
    iid = incident(store, "api")
    catalog(store, {"api": []})
    window(store, iid, "api", "cpu", 0.3, 1.9)
    for _ in range(2):  # idempotent
        with store.session() as s:
            run_analysis(s, iid)
    with store.session() as s:
        refs = known_refs(s, iid)
        rows = ranked(s, iid)
        assert rows and all(e["ref"] in refs for r in rows for e in r.evidence)
        events = [e for e in timeline(s, iid) if e.kind == "hypothesis"]
        assert len(events) == len(rows)
        assert events[0].details["hypothesis_id"] == rows[0].id


@pytest.mark.parametrize("with_catalog", [True, False])
def test_nothing_to_go_on_gives_no_hypotheses_and_no_crash(store: Store, with_catalog: bool) -> None:
    iid = incident(store, "api")
    if with_catalog:
        catalog(store, {"api": []})
    with store.session() as s:
        assert analyze(s, iid) == []
