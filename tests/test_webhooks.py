"""The watcher's webhook listener: accepted webhooks open incidents; refused ones write nothing.

An accepted webhook is committed to the inbox and answered 202; ``post`` waits for the inbox to be
processed so the tests can look at the store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select

from connectors.pagerduty.webhook import sign
from incident.config import load_settings
from incident.listener import Listener
from incident.models import Alert, Incident, TimelineEvent
from incident.registry import Connectors
from incident.store import Store
from incident.watcher import Watcher

SECRET = "whsec-test"
JSON = {"content-type": "application/json"}


@pytest.fixture
def listener(store: Store) -> Iterator[tuple[httpx.Client, Watcher]]:
    settings = load_settings(overlays=[{"pagerduty": {"webhook_secret": SECRET}}], user_file=False)
    watcher = Watcher(settings, store, Connectors())
    server = Listener(watcher).start()
    with httpx.Client(
        base_url=server.url, timeout=10, event_hooks={"response": [lambda _r: watcher.inbox.drain()]}
    ) as client:
        yield client, watcher
    server.stop()
    watcher.stop()


def opened(store: Store, before: int) -> list[int]:
    with store.session() as s:
        return list(s.scalars(select(Incident.id).where(Incident.id > before).order_by(Incident.id)))


def am_body(status: str = "firing", **labels: str) -> dict:
    alert_labels = {"alertname": "HighErrorRatio", "service": "checkout", "severity": "critical", **labels}
    return {
        "version": "4",
        "status": status,
        "receiver": "oncall",
        "groupKey": '{}:{alertname="HighErrorRatio"}',
        "groupLabels": {"alertname": "HighErrorRatio"},
        "commonLabels": alert_labels,
        "commonAnnotations": {},
        "externalURL": "http://am",
        "truncatedAlerts": 0,
        "alerts": [
            {
                "status": status,
                "labels": alert_labels,
                "annotations": {"summary": "checkout 5xx above 5%"},
                "startsAt": "2026-01-10T14:05:00Z",
                "endsAt": "2026-01-10T14:30:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
                "generatorURL": "http://prom/graph",
                "fingerprint": "fp-checkout-1",
            }
        ],
    }


def counts(store: Store) -> tuple[int, int, int]:
    with store.session() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (Incident, Alert, TimelineEvent))  # type: ignore[return-value]


def test_alertmanager_webhook_opens_dedups_and_resolves(listener, store: Store) -> None:  # type: ignore[no-untyped-def]
    client, watcher = listener
    r = client.post("/webhooks/alertmanager", json=am_body())
    assert r.status_code == 202 and r.json()["alerts"] == 1
    assert len(opened(store, 0)) == 1
    again = client.post("/webhooks/alertmanager", json=am_body())
    assert again.status_code == 202 and len(opened(store, 0)) == 1
    with store.session() as s:
        incident = s.scalars(select(Incident)).one()
        assert incident.component == "checkout" and incident.status == "triggered"
        assert incident.page_at == datetime(2026, 1, 10, 14, 5, tzinfo=UTC)
        assert len(incident.alerts) == 1
    client.post("/webhooks/alertmanager", json=am_body("resolved"))
    with store.session() as s:
        incident = s.scalars(select(Incident)).one()
        assert incident.status == "resolved"
        assert {e.key if hasattr(e, "key") else e.kind for e in incident.events} >= {
            "incident_state",
            "alert",
        }


def test_second_alert_on_same_component_joins_the_incident(listener, store: Store) -> None:  # type: ignore[no-untyped-def]
    client, _ = listener
    client.post("/webhooks/alertmanager", json=am_body())
    body = am_body(alertname="HighLatency")
    body["alerts"][0]["fingerprint"] = "fp-checkout-2"
    assert client.post("/webhooks/alertmanager", json=body).status_code == 202
    assert counts(store)[:2] == (1, 2)


def test_the_alert_firing_again_after_resolution_pages_a_new_incident(listener, store: Store) -> None:  # type: ignore[no-untyped-def]
    client, _ = listener
    client.post("/webhooks/alertmanager", json=am_body())
    [first] = opened(store, 0)
    client.post("/webhooks/alertmanager", json=am_body("resolved"))
    body = am_body()
    body["alerts"][0]["startsAt"] = "2026-01-17T09:12:00Z"  # same labels, same fingerprint, a week later
    client.post("/webhooks/alertmanager", json=body)
    [second] = opened(store, first)
    client.post("/webhooks/alertmanager", json=am_body("resolved"))  # a late re-send
    assert opened(store, second) == []
    with store.session() as s:
        old, new = s.get(Incident, first), s.get(Incident, second)
        assert old is not None and new is not None
        assert (old.status, [a.status for a in old.alerts]) == ("resolved", ["resolved"])
        assert (new.status, [a.status for a in new.alerts]) == ("triggered", ["firing"])
        assert new.page_at == datetime(2026, 1, 17, 9, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "JSON"),
        (b"[]", ""),
        (json.dumps({"version": "4", "alerts": "nope"}).encode(), "alerts"),
    ],
)
def test_malformed_alertmanager_webhooks_are_400_and_write_nothing(listener, store, body, reason) -> None:  # type: ignore[no-untyped-def]
    client, _ = listener
    r = client.post("/webhooks/alertmanager", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert reason in r.json()["error"]
    assert counts(store) == (0, 0, 0)


def pd_body(event_type: str = "incident.triggered", status: str = "triggered") -> bytes:
    return json.dumps(
        {
            "event": {
                "id": f"01EVT-{event_type}",  # each delivery its own event id
                "event_type": event_type,
                "resource_type": "incident",
                "occurred_at": "2026-01-10T14:06:00.000Z",
                "agent": None,
                "data": {
                    "id": "Q1PD",
                    "type": "incident",
                    "title": "Checkout is failing",
                    "status": status,
                    "number": 42,
                    "service": {"id": "PSVC1", "summary": "checkout", "type": "service_reference"},
                    "created_at": "2026-01-10T14:06:00Z",
                },
            }
        }
    ).encode()


def test_pagerduty_webhook_signature_is_enforced(listener, store: Store) -> None:  # type: ignore[no-untyped-def]
    client, _ = listener
    body = pd_body()
    assert client.post("/webhooks/pagerduty", content=body, headers=JSON).status_code == 401
    bad = client.post("/webhooks/pagerduty", content=body, headers={**JSON, "X-PagerDuty-Signature": sign(body, "x")})
    assert bad.status_code == 401 and "signature" in bad.json()["error"]
    assert counts(store) == (0, 0, 0)
    ok = client.post("/webhooks/pagerduty", content=body, headers={**JSON, "X-PagerDuty-Signature": sign(body, SECRET)})
    assert ok.status_code == 202 and len(opened(store, 0)) == 1
    resolved = pd_body("incident.resolved", "resolved")
    client.post(
        "/webhooks/pagerduty", content=resolved, headers={**JSON, "X-PagerDuty-Signature": sign(resolved, SECRET)}
    )
    with store.session() as s:
        incident = s.scalars(select(Incident)).one()
        assert incident.source_ref == "Q1PD" and incident.status == "resolved"


def test_signed_but_malformed_pagerduty_webhook_is_400(listener, store: Store) -> None:  # type: ignore[no-untyped-def]
    client, _ = listener
    body = b'{"event": {"event_type": "incident.triggered"}}'
    r = client.post("/webhooks/pagerduty", content=body, headers={**JSON, "X-PagerDuty-Signature": sign(body, SECRET)})
    assert r.status_code == 400 and r.json()["error"]
    assert counts(store) == (0, 0, 0)


def test_alert_with_unknown_labels_opens_with_a_note(listener, store: Store) -> None:  # type: ignore[no-untyped-def]
    client, _ = listener
    body = am_body()
    body["alerts"][0]["labels"] = {"alertname": "DiskFull", "instance": "10.0.0.7:9100"}
    assert client.post("/webhooks/alertmanager", json=body).status_code == 202
    with store.session() as s:
        incident = s.scalars(select(Incident)).one()
        assert incident.component is None
        notes = [e.summary for e in incident.events if e.kind == "note"]
        assert any("name no component" in n for n in notes)
