"""What was stamped after the page is kept and marked, never silently mixed with what the page saw."""

from __future__ import annotations

from datetime import timedelta

from connectors.kubernetes import KubernetesConnector
from incident.config import Settings
from incident.gathering import Outcome, write_outcome
from incident.gathering.drafts import Draft
from incident.gathering.kubernetes import gather_kubernetes
from incident.gathering.stamps import MARK, mark_after_page
from incident.models import EventKind, Incident
from incident.store import Store
from incident.timeline import timeline
from tests.connectors import k8s_objects as k
from tests.gathering.conftest import context


def test_pod_details_carry_start_and_creation_times(conn: KubernetesConnector, settings: Settings) -> None:
    drafts = {d.key: d for d in gather_kubernetes(conn, context(settings))}
    restarted = drafts["pod/shop/checkout-2"]
    assert restarted.details["created_at"] == k.ago(31)
    (container,) = restarted.details["containers"]
    assert container["started_at"] == k.PAGE + timedelta(minutes=3)
    assert container["last_finished_at"] == k.ago(1)


def test_after_page_stamps_are_marked_in_the_store(conn: KubernetesConnector, settings: Settings, store: Store) -> None:
    with store.session() as s:
        incident = Incident(dedup_key="x", source="alertmanager", title="t", component="checkout", page_at=k.PAGE)
        s.add(incident)
        s.flush()
        ctx = context(settings, incident.id)
        write_outcome(s, ctx, Outcome("kubernetes", drafts=list(gather_kubernetes(conn, ctx))))
    with store.session() as s:
        events = {e.summary.split(":")[0]: e for e in timeline(s, ctx.incident_id)}
    late = events["pod checkout-2"]
    assert late.summary.endswith(MARK) and late.details["after_page"] == ["containers[0].started_at"]
    assert late.at <= k.PAGE  # its time is when the trouble began; the data is kept
    marked = [e for e in events.values() if "after_page" in e.details]
    assert marked == [late]  # nothing else in this replay is stamped after the page


def test_mark_is_idempotent_and_names_the_late_time() -> None:
    draft = Draft(EventKind.pagerduty_log, "pd/1", k.PAGE + timedelta(minutes=2), "pagerduty", "acknowledged")
    once = mark_after_page(draft, k.PAGE)
    assert once.details["after_page"] == ["at"] and mark_after_page(once, k.PAGE).summary == "acknowledged" + MARK
    early = Draft(EventKind.note, "n", k.PAGE, "x", "seen", details={"events": [{"last_at": k.ago(1)}]})
    assert mark_after_page(early, k.PAGE) is early
