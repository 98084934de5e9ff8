"""find_similar and apply_feedback on stores built by hand: only the past counts, verdicts reorder
the ranking, a failure never reaches the diagnosis, and thousands of past incidents stay cheap."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from benchmarks.memory_world import LOG, NOW, add_world, drafts, incident_rows, now_incident
from incident.memory import (
    apply_feedback,
    find_similar,
    memory_event_id,
    record_similar,
    safe_apply_feedback,
    safe_record_similar,
    without_memory,
)
from incident.memory.search import MAX_CANDIDATES
from incident.models import Component, Hypothesis
from incident.pins import toggle_pin
from incident.store import Store
from incident.timeline import timeline


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 's.db'}")
    yield s
    s.close()


def test_verdicts_on_a_similar_incident_reorder_the_ranking(store: Store) -> None:
    with store.session() as s:
        s.add(Component(name="checkout", system="shop", depends_on=["payments"]))
        add_world(
            s,
            incident_rows(1, start=1, at=NOW - timedelta(days=3)),
            kinds=[("deploy_regression", "checkout"), ("config_change", "checkout")],
            log=LOG.replace("11:58:02.113", "03:12:40.001"),
            verdicts={"deploy_regression": "rejected", "config_change": "confirmed"},
        )
        current = now_incident(s)
    with store.session() as s:
        out = apply_feedback(s, current, drafts())
    assert [d.kind for d in out] == ["config_change", "deploy_regression", "network"]
    config, deploy, network = out
    assert config.details["memory"]["delta"] > 0 and config.details["memory"]["confirmed_in"] == [1]
    assert deploy.details["memory"]["delta"] < 0 and deploy.details["memory"]["rejected_in"] == [1]
    assert "memory" not in network.details and network.confidence == 0.3
    priors = {d.kind: d.confidence for d in drafts()}
    restored = [without_memory(d) for d in out]  # what the agent's prompt gets: memory counts once
    assert {d.kind: d.confidence for d in restored} == priors
    assert all("memory" not in d.details for d in restored)


def test_later_incidents_and_the_incident_itself_are_not_memory(store: Store) -> None:
    with store.session() as s:
        current = now_incident(s)
        later = incident_rows(1, start=2, at=NOW + timedelta(days=1))
        add_world(
            s, later, kinds=[("deploy_regression", "checkout")], log=LOG, verdicts={"deploy_regression": "confirmed"}
        )
        s.get(Hypothesis, f"hy_{current}_1").status = "confirmed"  # type: ignore[union-attr]
    with store.session() as s:
        assert find_similar(s, current) == []
        original = drafts()
        assert apply_feedback(s, current, original) is original


def test_an_open_incident_paged_just_before_is_the_same_outage_not_history(store: Store) -> None:
    with store.session() as s:
        current = now_incident(s)
        sibling = incident_rows(2, start=1, at=NOW - timedelta(minutes=5))  # paged 5 and 65 minutes before
        for row in sibling:
            row["status"], row["resolved_at"] = "triggered", None
        add_world(s, sibling, kinds=[("deploy_regression", "checkout")], log=LOG)
        fixed = incident_rows(1, start=3, at=NOW - timedelta(minutes=20))  # resolved already: history
        add_world(s, fixed, kinds=[("deploy_regression", "checkout")], log=LOG)
    with store.session() as s:
        assert sorted(m.past_incident_id for m in find_similar(s, current)) == [2, 3]


def test_a_past_incident_no_longer_similar_leaves_the_timeline_unless_pinned(store: Store) -> None:
    with store.session() as s:
        current = now_incident(s)
        for start in (1, 2):  # similar only by component and diagnosis
            past = incident_rows(1, start=start, at=NOW - timedelta(days=start))
            add_world(s, past, kinds=[("deploy_regression", "checkout")], log=None, alert="HighLatency")
        recorded = record_similar(s, current, at=NOW)
        assert sorted(m.past_incident_id for m in recorded) == [1, 2]
        toggle_pin(s, current, memory_event_id(current, 2), who="alice")
        for hid in ("hy_1_1", "hy_2_1"):
            s.get(Hypothesis, hid).status = "dropped"  # type: ignore[union-attr]
    with store.session() as s:
        assert record_similar(s, current, at=NOW) == []
        left = [e.details["past_incident_id"] for e in timeline(s, current, kinds=["memory"])]
    assert left == [2]


def test_memory_failing_leaves_the_diagnosis_alone(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    original = drafts()
    with store.session() as s:
        assert safe_apply_feedback(s, 424242, original) is original
        assert safe_record_similar(s, 424242, at=NOW) == []
    assert "no incident 424242" in caplog.text


def test_thousands_of_past_incidents_take_a_bounded_number_of_queries(store: Store) -> None:
    with store.session() as s:
        s.add(Component(name="checkout", system="shop", depends_on=[]))
        needle = incident_rows(1, start=1, at=NOW - timedelta(days=400))
        add_world(
            s, needle, kinds=[("deploy_regression", "checkout")], log=LOG, verdicts={"deploy_regression": "confirmed"}
        )
        noise = incident_rows(3000, start=10, at=NOW - timedelta(days=1))
        add_world(s, noise, kinds=[("oom", "checkout"), ("unknown", "cart")], log="ERROR OOMKilled cart session cache")
        add_world(s, incident_rows(500, start=5000, at=NOW, component="search"), kinds=[("oom", "search")], log=None)
        current = now_incident(s)
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with store.session() as s:
        matches = find_similar(s, current)
    assert [m.past_incident_id for m in matches] == [1], "the old confirmed incident beats recent noise"
    assert matches[0].resolved_by.accepted[0].kind == "deploy_regression"
    assert len(statements) <= 12, statements
    assert MAX_CANDIDATES < 3000
