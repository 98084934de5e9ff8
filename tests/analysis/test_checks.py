"""Each evidence check yields its kind from the timeline shapes the gatherers write."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from incident.analysis import analyze
from incident.store import Store
from incident.timeline import log_event
from tests.analysis.test_analyzer import PAGE, catalog, incident


def container(**kw: Any) -> dict[str, Any]:
    return {
        "name": "app",
        "image": "reg/app:1",
        "state": "running",
        "restarts": 0,
        "reason": None,
        "last_state": None,
        "last_reason": None,
        "last_exit_code": None,
        "limits": {},
        **kw,
    }


CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "crashloop",
        "pod_state",
        {
            "pod": "api-1",
            "containers": [
                container(
                    state="waiting",
                    reason="CrashLoopBackOff",
                    restarts=7,
                    last_state="terminated",
                    last_reason="Error",
                    last_exit_code=1,
                )
            ],
        },
    ),
    (
        "image_pull",
        "pod_state",
        {"pod": "api-1", "containers": [container(state="waiting", reason="ImagePullBackOff")]},
    ),
    (
        "unschedulable",
        "pod_state",
        {
            "pod": "api-1",
            "containers": [],
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": "0/6 nodes are available: 6 Insufficient memory.",
                }
            ],
        },
    ),
    ("unschedulable", "k8s_event", {"reason": "FailedScheduling", "message": "0/3 nodes are available", "count": 4}),
    ("probe_failure", "k8s_event", {"reason": "Unhealthy", "message": "Readiness probe failed: 503", "count": 9}),
    ("storage", "k8s_event", {"reason": "FailedMount", "message": "MountVolume.SetUp failed", "count": 2}),
    ("certificate", "log_excerpt", {"pod": "api-1", "lines": ["x509: certificate has expired or is not yet valid"]}),
    ("storage", "log_excerpt", {"pod": "api-1", "lines": ["could not write block: No space left on device"]}),
    ("network", "log_excerpt", {"pod": "api-1", "lines": ["dial tcp: lookup redis.shop.svc: no such host"]}),
    ("config_change", "config_change", {"namespace": "shop"}),
]


@pytest.mark.parametrize(("kind", "event_kind", "details"), CASES)
def test_check_yields_its_kind_citing_the_event(store: Store, kind: str, event_kind: str, details: dict) -> None:
    iid = incident(store, "api")
    catalog(store, {"api": []})
    with store.session() as s:
        eid = log_event(
            s,
            incident_id=iid,
            kind=event_kind,
            key="k",
            at=PAGE - timedelta(minutes=4),
            source="kubernetes",
            component="api",
            summary=f"{event_kind} on api",
            details=details,
        )
    with store.session() as s:
        drafts = analyze(s, iid)
    assert drafts, "no hypothesis"
    top = drafts[0]
    assert (top.kind, top.component) == (kind, "api")
    assert eid in [e.ref for e in top.evidence]


def test_node_trouble_reaches_the_pods_on_that_node(store: Store) -> None:
    iid = incident(store, "api")
    catalog(store, {"api": []})
    with store.session() as s:
        node_ev = log_event(
            s,
            incident_id=iid,
            kind="node_state",
            key="node/n1/Ready",
            at=PAGE - timedelta(minutes=6),
            source="kubernetes",
            summary="node n1: Ready=Unknown",
            details={"node": "n1", "type": "Ready", "status": "Unknown"},
        )
        log_event(
            s,
            incident_id=iid,
            kind="pod_state",
            key="pod/shop/api-1",
            at=PAGE - timedelta(minutes=5),
            source="kubernetes",
            component="api",
            summary="pod api-1: not ready",
            details={"pod": "api-1", "node": "n1", "containers": [container(ready=False)]},
        )
    with store.session() as s:
        top = analyze(s, iid)[0]
    assert (top.kind, top.component) == ("node_failure", "api")
    assert node_ev in [e.ref for e in top.evidence]
