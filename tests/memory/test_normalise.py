"""Log templates and signatures: variable parts vanish, the words that say what failed stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incident.memory.normalise import WILD, error_templates, template
from incident.memory.profile import alert_name, event_signatures, load_signatures
from incident.models import Incident
from incident.store import Store
from incident.timeline import log_event


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "2025-12-02 19:16:24.000 ERROR 1 --- [  main] o.s.boot.SpringApplication   : "
            "java.lang.IllegalStateException: missing required config PAYMENT_GATEWAY_URL",
            "IllegalStateException: missing required config PAYMENT_GATEWAY_URL",
        ),
        (
            '{"ts":"2026-01-13T14:03:48.323Z","level":"error","msg":"failed to price cart","error":'
            '"promotions: apply rule \\"WINTER25\\": nil pointer dereference","order_id":891303}',
            f"failed to price cart: promotions: apply rule {WILD}: nil pointer dereference",
        ),
        (
            'Liveness probe failed: Get "http://10.244.2.140:8080/healthz": context deadline exceeded',
            f"Liveness probe failed: Get {WILD}: context deadline exceeded",
        ),
        (
            "Back-off restarting failed container payments in pod "
            "payments-9ffn7xgtvh-tfscp_shop(227fb3b0-38be-4bda-bf1a-f72f51f6e158)",
            f"Back-off restarting failed container payments in pod payments-{WILD}_shop({WILD})",
        ),
        (
            "E0113 14:03:01.123456       1 reflector.go:138] failed to list *v1.Pod: dial tcp 10.0.0.1:443: "
            "connect: connection refused",
            f"failed to list *v1.Pod: dial tcp {WILD}: connect: connection refused",
        ),
        (
            '2026-01-13 13:52:00.000 UTC [60793] ERROR:  could not extend file "base/16384/2619": '
            "No space left on device",
            f"could not extend file {WILD}: No space left on device",
        ),
        (
            "x509: certificate has expired: current time 2026-04-15T18:01:02Z is after 2026-04-15T00:00:00Z",
            f"x509: certificate has expired: current time {WILD} is after {WILD}",
        ),
        (
            "2026/01/13 14:00:00 panic: runtime error: index out of range [3]",
            f"panic: runtime error: index out of range [{WILD}]",
        ),
        (
            "worker 0x7f3a2c1b00 failed after 17.4ms, trace 7f4e70dfe5d8bf83",
            f"worker {WILD} failed after {WILD}ms, trace {WILD}",
        ),
    ],
)
def test_templates_keep_what_failed_and_drop_what_varies(line: str, expected: str) -> None:
    assert template(line) == expected


@pytest.mark.parametrize(
    "line", ["", "   ", "\tat c.s.payments.Gateway.validate(Gateway.java:58)", "12345 67", "<*> 0x1f"]
)
def test_lines_that_say_nothing_have_no_template(line: str) -> None:
    assert template(line) is None


def test_the_same_failure_in_another_pod_at_another_time_reads_the_same() -> None:
    a = "2025-12-02 19:16:24.000 ERROR 1 --- [main] c.s.Pay : upstream checkout-pp7tcdnjg2-zzrfw refused: 10.1.2.3:80"
    b = "2026-03-09 03:02:11.517 ERROR 7 --- [main] c.s.Pay : upstream checkout-7c4d9b8f6d-x2x9q refused: 10.9.8.7:80"
    assert template(a) == template(b) == f"upstream checkout-{WILD} refused: {WILD}"


def test_error_templates_skip_context_lines_and_repeats() -> None:
    lines = [
        "2026-01-13 14:00:01.000 INFO GET /v1/carts/44012 -> 200 in 6.2ms",
        "2026-01-13 14:00:02.000 ERROR connection refused by shop-db:5432",
        "2026-01-13 14:00:03.000 ERROR connection refused by shop-db:5433",
    ]
    assert error_templates(lines) == [f"connection refused by shop-db:{WILD}"]


def test_signatures_from_what_the_kubernetes_gatherer_stores() -> None:
    pod = {
        "containers": [
            {
                "state": "waiting",
                "reason": "CrashLoopBackOff",
                "last_state": "terminated",
                "last_reason": "Error",
                "last_exit_code": 1,
            },
            {"state": "terminated", "reason": "OOMKilled", "exit_code": 137},
            {"state": "terminated", "reason": "Completed", "exit_code": 0, "init": True},
        ],
        "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}],
    }
    assert event_signatures("pod_state", pod) == {
        "state: CrashLoopBackOff",
        "exit: Error (1)",
        "exit: OOMKilled (137)",
        "state: Unschedulable",
    }
    rollout = {"conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]}
    assert event_signatures("pod_state", rollout) == {"state: ProgressDeadlineExceeded"}
    assert event_signatures("pod_state", {"pods": ["a"], "ready": 3, "total": 3}) == set()
    assert event_signatures("k8s_event", {"reason": "BackOff", "message": "Back-off restarting"}) == {"event: BackOff"}
    assert event_signatures("node_state", {"node": "n1", "type": "Ready", "status": "False"}) == {"node: Ready=False"}
    log = {"lines": ["Application run failed", "\tat x.Y(Y.java:1)", "GET / 200"]}
    assert event_signatures("log_excerpt", log) == {"log: Application run failed"}
    assert event_signatures("alert", {"reason": "BackOff"}) == set()


def test_alert_names_prefer_the_alertname_label() -> None:
    assert alert_name("HighErrorRatio", {"alertname": "HighErrorRatio", "service": "checkout"}) == "HighErrorRatio"
    assert alert_name("[FIRING:1] HighErrorRatio checkout", {}) == "HighErrorRatio checkout"
    assert alert_name("[#4817] [FIRING:1] KubePodCrashLooping", None) == "KubePodCrashLooping"


def test_an_incident_is_matched_on_what_was_stamped_by_the_present(store: Store) -> None:
    """Regression: a replayed incident matched others on an OOM kill its data stamped 31 hours after
    the page; signatures read as of the present leave it out."""
    page = datetime(2026, 3, 1, 2, 42, tzinfo=UTC)
    with store.session() as s:
        inc = Incident(dedup_key="t:cart", source="alertmanager", title="t", component="cart", page_at=page)
        s.add(inc)
        s.flush()
        for minutes, reason in ((-3, "BackOff"), (31 * 60, "OOMKilling")):
            log_event(
                s,
                incident_id=inc.id,
                kind="k8s_event",
                key=f"k8sevent/{reason}",
                at=page + timedelta(minutes=minutes),
                source="kubernetes",
                component="cart",
                summary=reason,
                details={"reason": reason, "message": reason},
            )
        iid = inc.id
    with store.session() as s:
        now = load_signatures(s, [iid], until=page)[iid]
        everything = load_signatures(s, [iid])[iid]
    assert "event: BackOff" in now and "event: OOMKilling" not in now
    assert "event: OOMKilling" in everything
