"""The diagnosis principles, each on a small built world: relevance to the page, acute over chronic,
attribution from a caller's log, trigger over mechanism, node failure on the paged path, and
nothing stamped after the page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from incident.analysis import analyze
from incident.analysis.checks import all_findings
from incident.analysis.context import load_input
from incident.analysis.localisation import departures
from incident.analysis.rank import combine
from incident.app.finalise import run_analysis
from incident.hypotheses import HypothesisDraft
from incident.store import Store
from incident.timeline import log_event
from tests.analysis.test_analyzer import PAGE, catalog, incident, window
from tests.analysis.test_checks import container


def event(store: Store, iid: int, kind: str, key: str, component: str | None, minutes: float, **details: Any) -> str:
    with store.session() as s:
        return log_event(
            s,
            incident_id=iid,
            kind=kind,
            key=key,
            at=PAGE + timedelta(minutes=minutes),
            source="kubernetes",
            component=component,
            summary=f"{kind} {key}",
            details=details,
        )


def pod(store: Store, iid: int, component: str, name: str, minutes: float, **details: Any) -> str:
    return event(store, iid, "pod_state", f"pod/shop/{name}", component, minutes, pod=name, namespace="shop", **details)


def ranked(store: Store, iid: int) -> list[HypothesisDraft]:
    with store.session() as s:
        return analyze(s, iid, now=PAGE)


def first_per_component(drafts: list[HypothesisDraft]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for d in drafts:
        seen.setdefault(d.component, d.kind)
    return list(seen.items())


def test_a_mechanism_off_the_paged_path_ranks_below_connected_findings_and_says_so(store: Store) -> None:
    iid = incident(store, "checkout")
    catalog(store, {"checkout": ["cart"], "cart": [], "reports": ["warehouse"], "warehouse": []})
    window(store, iid, "cart", "error_ratio", 0.001, 0.05, seed=1)
    window(store, iid, "checkout", "error_ratio", 0.001, 0.04, seed=2)
    oom = pod(
        store,
        iid,
        "reports",
        "reports-1",
        -3,
        containers=[container(last_state="terminated", last_reason="OOMKilled", last_exit_code=137, restarts=2)],
    )
    drafts = ranked(store, iid)
    order = first_per_component(drafts)
    assert order[0][0] == "cart"
    off = next(d for d in drafts if d.component == "reports")
    assert off.details["why"]["relevance"]["how"] == "off_path"
    assert "off the paged path" in off.summary
    assert oom in [e.ref for e in off.evidence]
    connected = [d for d in drafts if d.details["why"]["relevance"]["how"] != "off_path"]
    assert drafts.index(off) > max(drafts.index(d) for d in connected)


def test_a_crash_loop_that_has_run_for_hours_is_background_to_an_acute_oom(store: Store) -> None:
    iid = incident(store, "checkout")
    catalog(store, {"checkout": ["cart", "payments"], "cart": [], "payments": []})
    window(store, iid, "checkout", "error_ratio", 0.001, 0.05, seed=1)
    pod(
        store,
        iid,
        "cart",
        "cart-1",
        -200,
        created_at=(PAGE - timedelta(days=3)).isoformat(),
        containers=[
            container(
                state="waiting", reason="CrashLoopBackOff", restarts=340, last_state="terminated", last_exit_code=1
            )
        ],
    )
    pod(
        store,
        iid,
        "payments",
        "payments-1",
        -3,
        containers=[container(last_state="terminated", last_reason="OOMKilled", last_exit_code=137, restarts=1)],
    )
    drafts = ranked(store, iid)
    assert (drafts[0].component, drafts[0].kind) == ("payments", "oom")
    chronic = next(d for d in drafts if d.component == "cart")
    assert "background" in chronic.summary
    timing = next(t for t in chronic.details["why"]["terms"] if t["name"] == "timing")
    assert timing["value"] < 0.5


def test_errors_a_caller_logs_about_a_named_dependency_count_against_the_dependency(store: Store) -> None:
    iid = incident(store, "frontend")
    catalog(store, {"frontend": ["api"], "api": ["orders-db"], "orders-db": []}, {"orders-db": "database"})
    window(store, iid, "frontend", "error_ratio", 0.001, 0.06, seed=1)
    window(store, iid, "api", "error_ratio", 0.001, 0.09, seed=2)
    event(store, iid, "topology", "topology/shop", None, 0, addresses={"10.1.2.3": "orders-db"})
    log = event(
        store,
        iid,
        "log_excerpt",
        "log/shop/api-1/app/False",
        "api",
        0,
        pod="api-1",
        lines=[
            "ERROR pool: dial tcp 10.1.2.3:5432: connect: connection refused",
            "ERROR could not connect to orders-db.shop.svc.cluster.local:5432: timeout",
        ],
    )
    drafts = ranked(store, iid)
    top = drafts[0]
    assert (top.component, top.kind) == ("orders-db", "dependency_failure")
    assert log in [e.ref for e in top.evidence]
    assert top.details["why"]["named_by"] == ["api"]


def test_a_bare_word_that_happens_to_be_a_component_name_is_not_a_host_reference(store: Store) -> None:
    iid = incident(store, "frontend")
    catalog(store, {"frontend": ["cart"], "cart": []})
    event(
        store,
        iid,
        "log_excerpt",
        "log/shop/frontend-1/app/False",
        "frontend",
        0,
        pod="frontend-1",
        lines=["WARN request timeout while rendering: cart is empty"],
    )
    drafts = ranked(store, iid)
    assert all(d.component != "cart" for d in drafts)


def test_a_rollout_whose_new_pods_fail_readiness_is_a_deploy_regression(store: Store) -> None:
    iid = incident(store, "checkout")
    catalog(store, {"checkout": []})
    window(store, iid, "checkout", "error_ratio", 0.001, 0.2, seed=3)
    rollout = event(store, iid, "deploy", "rollout/shop/checkout/rs8", "checkout", -8, replicaset="checkout-rs8")
    probes = event(
        store,
        iid,
        "k8s_event",
        "k8sevent/shop/Pod/checkout-rs8-a/Unhealthy",
        "checkout",
        -6,
        reason="Unhealthy",
        message="Readiness probe failed: HTTP probe failed with statuscode: 500",
        count=12,
        first_at=(PAGE - timedelta(minutes=6)).isoformat(),
    )
    pod(store, iid, "checkout", "checkout-rs8-a", -6, ready=False, owner="checkout-rs8", containers=[container()])
    drafts = ranked(store, iid)
    top = drafts[0]
    assert (top.component, top.kind) == ("checkout", "deploy_regression")
    refs = [e.ref for e in top.evidence]
    assert rollout in refs and probes in refs
    assert top.details["why"]["mechanism"]


def test_a_probe_failure_that_began_before_the_rollout_stays_a_probe_failure(store: Store) -> None:
    iid = incident(store, "checkout")
    catalog(store, {"checkout": []})
    window(store, iid, "checkout", "error_ratio", 0.001, 0.2, seed=3)
    event(store, iid, "deploy", "rollout/shop/checkout/rs8", "checkout", -4, replicaset="checkout-rs8")
    event(
        store,
        iid,
        "k8s_event",
        "k8sevent/shop/Pod/checkout-rs7-a/Unhealthy",
        "checkout",
        -12,
        reason="Unhealthy",
        message="Liveness probe failed: context deadline exceeded",
        count=12,
        first_at=(PAGE - timedelta(minutes=12)).isoformat(),
    )
    drafts = ranked(store, iid)
    assert drafts[0].kind == "probe_failure"


def test_liveness_kills_are_a_probe_failure_not_a_crash_loop(store: Store) -> None:
    iid = incident(store, "search")
    catalog(store, {"search": []})
    window(store, iid, "search", "error_ratio", 0.001, 0.1, seed=4)
    event(
        store,
        iid,
        "k8s_event",
        "k8sevent/shop/Pod/search-1/Killing",
        "search",
        -5,
        reason="Killing",
        message="Container app failed liveness probe, will be restarted",
        count=4,
        first_at=(PAGE - timedelta(minutes=5)).isoformat(),
    )
    pod(
        store,
        iid,
        "search",
        "search-1",
        -2,
        containers=[
            container(
                state="waiting", reason="CrashLoopBackOff", restarts=4, last_state="terminated", last_exit_code=137
            )
        ],
    )
    drafts = ranked(store, iid)
    assert (drafts[0].component, drafts[0].kind) == ("search", "probe_failure")


def test_a_node_failure_ranks_the_component_on_the_paged_path_first(store: Store) -> None:
    iid = incident(store, "frontend")
    catalog(store, {"frontend": ["search"], "search": [], "reports": ["warehouse"], "warehouse": []})
    window(store, iid, "frontend", "latency_p99", 0.2, 1.5, seed=5)
    node = event(store, iid, "node_state", "node/n1/Ready", None, -7, node="n1", type="Ready", status="Unknown")
    pod(store, iid, "reports", "reports-1", -7, node="n1", ready=False, containers=[container()])
    pod(store, iid, "search", "search-1", -7, node="n1", ready=False, containers=[container()])
    event(
        store,
        iid,
        "k8s_event",
        "k8sevent/shop/Pod/search-2/FailedScheduling",
        "search",
        -5,
        reason="FailedScheduling",
        message="0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }",
        count=3,
        first_at=(PAGE - timedelta(minutes=5)).isoformat(),
    )
    drafts = ranked(store, iid)
    top = drafts[0]
    assert (top.component, top.kind) == ("search", "node_failure")
    assert node in [e.ref for e in top.evidence]
    reports = next(d for d in drafts if d.component == "reports")
    assert reports.confidence < top.confidence


def test_nothing_stamped_after_the_page_is_evidence(store: Store) -> None:
    iid = incident(store, "cart")
    catalog(store, {"cart": []})
    window(store, iid, "cart", "error_ratio", 0.001, 0.05, seed=6)
    pod(
        store,
        iid,
        "cart",
        "cart-1",
        -1,
        containers=[
            container(
                last_state="terminated",
                last_reason="OOMKilled",
                last_exit_code=137,
                restarts=1,
                last_finished_at=(PAGE + timedelta(hours=31)).isoformat(),
            )
        ],
    )
    later = event(
        store,
        iid,
        "k8s_event",
        "k8sevent/shop/Pod/cart-1/BackOff",
        "cart",
        60,
        reason="BackOff",
        message="Back-off restarting failed container",
        count=9,
    )
    drafts = ranked(store, iid)
    assert all(d.kind not in ("oom", "crashloop") for d in drafts)
    assert all(later not in [e.ref for e in d.evidence] for d in drafts)


def test_one_hypothesis_per_kind_and_component_when_logs_and_metrics_agree(store: Store) -> None:
    """Regression: exceptions in the logs and an error-ratio departure on the same component gave two
    code_error candidates with one hypothesis id, and storing them failed once both were shown."""
    iid = incident(store, "orders")
    catalog(store, {"orders": []})
    window(store, iid, "orders", "error_ratio", 0.001, 0.3, seed=7)
    log = event(
        store,
        iid,
        "log_excerpt",
        "log/shop/orders-1/app/False",
        "orders",
        0,
        pod="orders-1",
        lines=["Traceback (most recent call last):", "ValueError: could not convert string to float: 'n/a'"],
    )
    with store.session() as s:
        data = load_input(s, iid, now=PAGE)
        candidates = combine(data, all_findings(data), departures(data))
        drafts = run_analysis(s, iid, at=PAGE)
    keys = [(c["kind"], c["component"]) for c in candidates]
    assert len(keys) == len(set(keys))
    orders = next(d for d in drafts if (d.kind, d.component) == ("code_error", "orders"))
    assert log in [e.ref for e in orders.evidence]


def test_an_alert_describing_a_named_dependencys_failure_counts_against_the_dependency(store: Store) -> None:
    iid = incident(store, "checkout")
    catalog(store, {"checkout": ["payments", "cart"], "payments": [], "cart": []})
    window(store, iid, "checkout", "error_ratio", 0.001, 0.08, seed=8)
    alert = event(
        store,
        iid,
        "alert",
        "alert/alertmanager/fp1",
        "checkout",
        -2,
        annotations={"description": "calls to payments.shop.svc.cluster.local:8443 fail: connection refused"},
        starts_at=(PAGE - timedelta(minutes=2)).isoformat(),
    )
    drafts = ranked(store, iid)
    payments = next(d for d in drafts if d.component == "payments")
    assert alert in [e.ref for e in payments.evidence]
    assert payments.details["why"]["named_by"] == ["checkout"]
    assert drafts[0].component == "payments"


def test_latency_its_own_resources_explain_outranks_latency_alone(store: Store) -> None:
    iid = incident(store, "frontend")
    catalog(store, {"frontend": ["search", "prices"], "search": [], "prices": []})
    window(store, iid, "frontend", "latency_p99", 0.3, 1.2, seed=11)
    window(store, iid, "prices", "latency_p99", 0.01, 0.5, seed=12)  # slower, nothing else moved
    window(store, iid, "search", "latency_p99", 0.05, 0.6, seed=13)
    window(store, iid, "search", "cpu", 0.8, 3.9, seed=14)  # pinned, and slower with it
    drafts = ranked(store, iid)
    assert (drafts[0].component, drafts[0].kind) == ("search", "resource_saturation")


def test_of_the_components_on_a_failed_node_the_one_showing_the_symptom_ranks_first(store: Store) -> None:
    iid = incident(store, "frontend")
    catalog(store, {"frontend": ["search", "ads"], "search": [], "ads": []})
    window(store, iid, "frontend", "error_ratio", 0.001, 0.05, seed=15)
    window(store, iid, "ads", "error_ratio", 0.001, 0.2, seed=16)  # lost its pods and fails
    event(store, iid, "node_state", "node/n1/Ready", None, -7, node="n1", type="Ready", status="Unknown")
    pod(store, iid, "search", "search-1", -7, node="n1", ready=False, containers=[container()])  # others carry it
    pod(store, iid, "ads", "ads-1", -7, node="n1", ready=False, containers=[container()])
    drafts = ranked(store, iid)
    assert (drafts[0].component, drafts[0].kind) == ("ads", "node_failure")
