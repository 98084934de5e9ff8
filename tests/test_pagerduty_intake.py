"""PagerDuty v3 webhooks come at least once and in any order: intake de-duplicates them by event id,
orders them by ``occurred_at``, and never moves an incident's state backwards."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from connectors.base import PagerDutyIncident
from connectors.pagerduty import WebhookEvent, parse_webhook
from incident.config import load_settings
from incident.models import EventKind, Incident, TimelineEvent
from incident.registry import Connectors
from incident.store import Store
from incident.watcher import Watcher

CREATED = datetime(2026, 1, 10, 14, 6, tzinfo=UTC)


@pytest.fixture
def watcher(store: Store) -> Iterator[Watcher]:
    w = Watcher(load_settings(user_file=False), store, Connectors())
    yield w
    w.stop()


def event(event_id: str, event_type: str, status: str, minutes: int) -> WebhookEvent:
    when = CREATED + timedelta(minutes=minutes)
    body = {
        "event": {
            "id": event_id,
            "event_type": event_type,
            "resource_type": "incident",
            "occurred_at": when.isoformat().replace("+00:00", "Z"),
            "data": {
                "id": "Q1PD",
                "type": "incident",
                "title": "Checkout is failing",
                "status": status,
                "service": {"id": "PSVC1", "summary": "checkout"},
            },
        }
    }
    return parse_webhook(json.dumps(body).encode())


def deliver(watcher: Watcher, ev: WebhookEvent) -> list[int]:
    """What the listener does when PagerDuty's API cannot be reached: the webhook's own copy."""
    assert ev.incident_id is not None
    pd = PagerDutyIncident(
        id=ev.incident_id,
        title=ev.title or ev.incident_id,
        status=ev.incident_status or "triggered",
        created_at=CREATED,
        service_id=ev.service_id,
        raw=ev.raw,
    )
    return watcher.ingest_pagerduty([(pd, [])], event=ev)


def state(store: Store) -> tuple[str, list[str], int]:
    """(status, the incident's state summaries, how many webhook events are on its timeline)."""
    with store.session() as s:
        [incident] = s.scalars(select(Incident)).all()
        events = s.scalars(select(TimelineEvent).where(TimelineEvent.incident_id == incident.id)).all()
        states = sorted(e.summary for e in events if e.kind == EventKind.incident_state)
        return incident.status, states, sum(e.kind == EventKind.pagerduty_log for e in events)


TRIGGERED = event("E1", "incident.triggered", "triggered", 0)
ACKNOWLEDGED = event("E2", "incident.acknowledged", "acknowledged", 2)
RESOLVED = event("E3", "incident.resolved", "resolved", 9)


def test_a_re_sent_acknowledge_after_the_resolve_changes_nothing(watcher: Watcher, store: Store) -> None:
    for ev in (TRIGGERED, ACKNOWLEDGED, RESOLVED):
        deliver(watcher, ev)
    before = state(store)
    assert before[0] == "resolved" and before[2] == 3
    assert deliver(watcher, ACKNOWLEDGED) == []  # at least once: the same event id again
    assert state(store) == before


def test_events_arriving_out_of_order_end_in_the_latest_state(watcher: Watcher, store: Store) -> None:
    [opened] = deliver(watcher, RESOLVED)
    deliver(watcher, ACKNOWLEDGED)  # occurred before the resolve, delivered after it
    deliver(watcher, TRIGGERED)
    status, states, webhooks = state(store)
    assert status == "resolved" and webhooks == 3
    assert not any("acknowledged" in s for s in states)
    with store.session() as s:
        incident = s.get(Incident, opened)
        assert incident is not None and incident.resolved_at == CREATED + timedelta(minutes=9)


def test_a_stale_poll_snapshot_does_not_undo_a_newer_webhook(watcher: Watcher, store: Store) -> None:
    deliver(watcher, TRIGGERED)
    deliver(watcher, RESOLVED)
    stale = PagerDutyIncident(
        id="Q1PD",
        title="Checkout is failing",
        status="acknowledged",
        created_at=CREATED,
        acknowledged_at=CREATED + timedelta(minutes=2),
        raw={"last_status_change_at": (CREATED + timedelta(minutes=2)).isoformat()},
    )
    watcher.ingest_pagerduty([(stale, [])])
    assert state(store)[0] == "resolved"


def test_in_order_events_each_apply_once(watcher: Watcher, store: Store) -> None:
    deliver(watcher, TRIGGERED)
    deliver(watcher, TRIGGERED)
    assert state(store)[0] == "triggered"
    deliver(watcher, ACKNOWLEDGED)
    assert state(store)[0] == "acknowledged"
    deliver(watcher, RESOLVED)
    status, states, webhooks = state(store)
    assert status == "resolved" and webhooks == 3 and len(states) == 3
