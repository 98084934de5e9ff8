"""Edge cases a review found: each failed before its fix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from incident.analysis import analyze
from incident.analysis.attribution import Resolver
from incident.analysis.context import load_input
from incident.analysis.relevance import PathMap
from incident.analysis.timing import parse_time
from incident.models import Alert
from incident.store import Store
from tests.analysis.test_analyzer import PAGE, catalog, incident, window
from tests.analysis.test_checks import container
from tests.analysis.test_principles import event, pod, ranked


def test_a_candidate_scored_below_zero_is_clamped_not_an_invalid_hypothesis(store: Store) -> None:
    iid = incident(store, "checkout")
    graph = {"checkout": ["a", "b", "c"], "a": [], "b": [], "c": [], "reports": ["warehouse"], "warehouse": []}
    catalog(store, graph)
    for i, comp in enumerate(["checkout", "a", "b", "c"]):
        window(store, iid, comp, "error_ratio", 0.001, 0.05, onset_min=10, seed=i)
    window(store, iid, "reports", "error_ratio", 0.001, 0.05, onset_min=10, seed=9)
    event(store, iid, "config_change", "cm/reports", "reports", -2)  # off the path, after the symptom
    drafts = ranked(store, iid)
    assert drafts and all(0.0 <= d.confidence <= 1.0 for d in drafts)


def test_restarts_long_ago_on_a_container_running_since_are_background(store: Store) -> None:
    iid = incident(store, "checkout")
    catalog(store, {"checkout": ["cart"], "cart": []})
    window(store, iid, "checkout", "error_ratio", 0.001, 0.05, seed=1)
    pod(
        store,
        iid,
        "cart",
        "cart-1",
        -1,
        ready=True,
        created_at=(PAGE - timedelta(days=5)).isoformat(),
        containers=[
            container(
                state="running",
                restarts=4,
                last_state="terminated",
                last_reason="Error",
                last_exit_code=1,
                last_finished_at=(PAGE - timedelta(days=3)).isoformat(),
            )
        ],
    )
    cart = next(d for d in ranked(store, iid) if d.component == "cart")
    timing = next(t for t in cart.details["why"]["terms"] if t["name"] == "timing")
    assert timing["value"] <= 0.3
    assert ranked(store, iid)[0].component == "checkout"


def test_two_callers_failing_to_reach_one_database_agree_it_is_the_database(store: Store) -> None:
    iid = incident(store, "checkout")
    catalog(store, {"checkout": ["orders"], "orders": ["db"], "billing": ["db"], "db": []}, {"db": "database"})
    window(store, iid, "checkout", "error_ratio", 0.001, 0.05)
    for caller in ("orders", "billing"):
        event(
            store,
            iid,
            "log_excerpt",
            f"l/{caller}",
            caller,
            -1,
            pod=f"{caller}-1",
            lines=["ERROR dial tcp db:5432: connection refused"],
        )
    top = ranked(store, iid)[0]
    assert (top.component, top.kind) == ("db", "dependency_failure")
    assert "look healthy" not in top.summary


def test_an_old_alert_grouped_into_the_incident_does_not_date_the_symptom(store: Store) -> None:
    iid = incident(store, "checkout")
    catalog(store, {"checkout": []})
    window(store, iid, "checkout", "error_ratio", 0.001, 0.05)
    with store.session() as s:
        s.add(
            Alert(
                incident_id=iid,
                source="alertmanager",
                fingerprint="warn",
                name="LatencyWarning",
                status="firing",
                starts_at=PAGE - timedelta(hours=4),
            )
        )
    event(store, iid, "deploy", "deploy/checkout", "checkout", -8)
    top = ranked(store, iid)[0]
    assert top.kind == "deploy_regression"
    assert datetime.fromisoformat(top.details["why"]["symptom_onset"]) > PAGE - timedelta(minutes=30)


def test_without_a_present_the_analysis_reads_as_of_the_page(store: Store) -> None:
    iid = incident(store, "checkout")
    catalog(store, {"checkout": ["cart"], "cart": []})
    window(store, iid, "checkout", "error_ratio", 0.001, 0.05)
    pod(store, iid, "cart", "cart-1", +30, containers=[container(reason="CrashLoopBackOff", restarts=3)])
    with store.session() as s:
        assert all(d.kind != "crashloop" for d in analyze(s, iid))


def test_times_without_a_zone_are_utc_and_nonsense_is_none() -> None:
    expected = datetime(2026, 3, 1, 11, 50, 0, 123000, tzinfo=UTC).timestamp()
    assert parse_time("2026-03-01 11:50:00,123") == expected
    assert parse_time("2026-03-01T11:50:00.123") == expected
    assert parse_time("0001-01-01T00:00:00+01:00") is None
    assert parse_time("yesterday") is None


def test_file_names_info_lines_and_unknown_domains_are_not_attributed(store: Store) -> None:
    iid = incident(store, "checkout")
    catalog(store, {"checkout": ["payments", "redis"], "payments": [], "redis": [], "main": []})
    for line in (
        'File "/app/payments.py", line 12, in charge: TimeoutError',
        "INFO connecting to payments:443 with timeout=5s",
        "redis.conf: i/o error",
        "ERROR upstream checkout.example timed out",
        "panic at main.go:57: deadline exceeded",
    ):
        event(store, iid, "log_excerpt", f"l/{hash(line)}", "checkout", -1, pod="checkout-1", lines=[line])
    drafts = ranked(store, iid)
    assert not any(d.details["why"]["named_by"] for d in drafts)
    with store.session() as s:
        resolver = Resolver(load_input(s, iid, now=PAGE))
    assert resolver.named("ERROR could not reach payments.shop.svc.cluster.local:443: timeout") == ["payments"]


def test_sharing_a_service_is_not_sharing_a_datastore(store: Store) -> None:
    iid = incident(store, "checkout")
    catalog(
        store,
        {"checkout": ["auth", "orders-db"], "reports": ["auth"], "billing": ["orders-db"], "auth": [], "orders-db": []},
        {"orders-db": "database"},
    )
    with store.session() as s:
        paths = PathMap(load_input(s, iid, now=PAGE))
    assert paths.of("reports").how == "off_path"
    assert paths.of("billing").how == "datastore"


def test_a_rollback_made_after_the_page_is_never_proposed_to_be_rolled_back() -> None:
    """After the on-call rolled checkout back (a rollout after the page), re-analysis took that
    rollback as "the latest rollout" and offered to roll back to the revision before it."""
    from incident.analysis.steps import step_context

    store = Store("sqlite://")
    iid = incident(store, "checkout")
    catalog(store, {"checkout": []})
    rollout = {"namespace": "shop", "deployment": "checkout"}
    event(
        store,
        iid,
        "deploy",
        "rollout/7",
        "checkout",
        -6,
        **rollout,
        revision=7,
        previous_revision=6,
        current_revision=8,
    )
    with store.session() as s:
        before = step_context(
            load_input(s, iid, now=PAGE + timedelta(minutes=30)), "checkout", component_label="service"
        )
    assert before["previous_revision"] == 6  # the suspect is still running: rolling back is meaningful
    event(
        store,
        iid,
        "deploy",
        "rollout/8",
        "checkout",
        12,
        **rollout,
        revision=8,
        previous_revision=7,
        current_revision=8,
    )
    with store.session() as s:
        after = step_context(
            load_input(s, iid, now=PAGE + timedelta(minutes=30)), "checkout", component_label="service"
        )
    assert "previous_revision" not in after  # neither back to 7 (the bad one) nor further
    assert after["rolled_out_since"] == 8
    assert after["deployment"] == "checkout"
