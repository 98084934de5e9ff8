"""PagerDuty connector against the stand-in, driven by the real ``pagerduty`` client over HTTP."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.base import PagingActions, PagingSource
from connectors.pagerduty import PagerDutyConnector, change_kind, parse_webhook, sign, verify_signature
from incident.config import PagerDutyConfig
from incident.errors import ConnectorDataError, ConnectorError, ConnectorTimeout, WebhookError
from incident.sandbox.http import Response, StandInServer
from incident.sandbox.pagerduty import PagerDutyStandIn, make_alert, make_change_event, make_incident
from incident.scenario import load_scenario

PAGE = datetime(2026, 1, 10, 14, 5, tzinfo=UTC)
TOKEN = "sandbox-token"


def connector(url: str, *, token: str = TOKEN, **cfg: Any) -> PagerDutyConnector:
    settings = {
        "api_token": token,
        "base_url": url,
        "from_email": "oncall@example.com",
        "timeout": "2s",
        **cfg,
    }
    return PagerDutyConnector(PagerDutyConfig(**settings), backoff_seconds=0.01)


@pytest.fixture
def stand_in() -> Iterator[PagerDutyStandIn]:
    incident = make_incident("PINC1", "Checkout errors", "triggered", "PCHECKOUT", PAGE - timedelta(minutes=4))
    incident["assignments"] = [{"at": incident["created_at"], "assignee": {"id": "PU1", "summary": "Ada"}}]
    incident["priority"] = {"id": "PP1", "summary": "P1"}
    data = {
        "incidents": [
            incident,
            make_incident("PINC2", "Old one", "resolved", "PCART", PAGE - timedelta(days=1)),
        ],
        "alerts": {"PINC1": [make_alert("PALERT1", "PINC1", "5xx ratio > 5%", PAGE - timedelta(minutes=4))]},
        "log_entries": [
            {
                "id": "L1",
                "type": "trigger_log_entry",
                "summary": "Triggered through the API",
                "created_at": "2026-01-10T14:01:00Z",
                "incident": {"id": "PINC1"},
                "agent": {"summary": "Prometheus"},
            },
        ],
    }
    with PagerDutyStandIn(data=data, token=TOKEN, page_at=PAGE) as server:
        assert isinstance(server, PagerDutyStandIn)
        yield server


def write_scenario(tmp_path: Path, pagerduty: dict[str, Any]) -> Path:
    spec = {"name": "pd-test", "page": {"source": "pagerduty", "at": PAGE.isoformat(), "alert": "PINC1"}}
    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(spec))
    (tmp_path / "pagerduty.json").write_text(json.dumps(pagerduty))
    return tmp_path


def test_implements_the_protocols(stand_in: PagerDutyStandIn) -> None:
    pd = connector(stand_in.url)
    assert isinstance(pd, PagingSource) and isinstance(pd, PagingActions)
    assert pd.check().ok


def test_open_incidents_reads_every_page_and_filters(tmp_path: Path) -> None:
    incidents = [make_incident(f"P{i:03d}", f"inc {i}", "triggered", "PA" if i % 2 else "PB", PAGE) for i in range(250)]
    incidents.append(make_incident("PDONE", "done", "resolved", "PA", PAGE))
    with PagerDutyStandIn(data={"incidents": incidents}, token=TOKEN) as server:
        found = connector(server.url).open_incidents()
        assert len(server.requests) == 3  # 100 + 100 + 50
        assert {i.id for i in found} == {f"P{i:03d}" for i in range(250)}
        only_a = connector(server.url, service_ids=["PA"]).open_incidents()
        assert len(only_a) == 125 and {i.service_id for i in only_a} == {"PA"}


def test_incident_mapping(stand_in: PagerDutyStandIn) -> None:
    pd = connector(stand_in.url)
    [incident] = pd.open_incidents()
    assert (incident.id, incident.title, incident.status, incident.priority) == (
        "PINC1",
        "Checkout errors",
        "triggered",
        "P1",
    )
    assert (
        incident.assignees == ("Ada",)
        and incident.service_id == "PCHECKOUT"
        and incident.escalation_policy == "Default"
    )
    assert incident.created_at == PAGE - timedelta(minutes=4) and incident.acknowledged_at is None
    assert pd.incident("PINC2").resolved_at == PAGE - timedelta(days=1)


def test_alerts_log_entries_and_labels(stand_in: PagerDutyStandIn) -> None:
    stand_in.alerts["PINC1"][0]["body"] = {
        "details": {"service": "checkout", "count": 3, "extra": {"a": 1}},
        "cef_details": {"source_component": "checkout-api", "severity": "critical"},
    }
    pd = connector(stand_in.url)
    [alert] = pd.incident_alerts("PINC1")
    assert alert.source == "pagerduty" and alert.fingerprint == "PALERT1" and alert.incident_ref == "PINC1"
    assert alert.labels == {"service": "checkout", "count": "3", "component": "checkout-api"}
    assert json.loads(alert.annotations["extra"]) == {"a": 1} and alert.severity == "critical"
    [entry] = pd.log_entries("PINC1", until=PAGE)
    assert (entry.id, entry.type, entry.agent) == ("L1", "trigger_log_entry", "Prometheus")
    assert pd.log_entries("PINC1", until=PAGE - timedelta(minutes=10)) == []


def test_rate_limit_is_retried_then_capped(stand_in: PagerDutyStandIn) -> None:
    pd = connector(stand_in.url)
    stand_in.fail_next_with_429 = 2
    assert pd.check().ok
    assert stand_in.requests == [("GET", "/abilities")] * 3
    stand_in.fail_next_with_429 = 100
    with pytest.raises(ConnectorError, match="429"):
        pd.open_incidents()
    assert 90 <= stand_in.fail_next_with_429 < 100  # gave up after a few retries


def test_nothing_after_page_time_is_served(tmp_path: Path) -> None:
    later = PAGE + timedelta(minutes=10)
    resolved_later = make_incident("PINC1", "Checkout errors", "resolved", "PCHECKOUT", PAGE - timedelta(minutes=4))
    resolved_later["resolved_at"] = resolved_later["last_status_change_at"] = later.isoformat()
    data = {
        "incidents": [resolved_later, make_incident("PFUTURE", "not yet", "triggered", "PX", later)],
        "alerts": {"PINC1": [make_alert("A1", "PINC1", "now", PAGE), make_alert("A2", "PINC1", "later", later)]},
        "log_entries": {"PINC1": [{"id": "L2", "type": "resolve_log_entry", "created_at": later.isoformat()}]},
        "change_events": [
            make_change_event("C1", "Deploy checkout 1.4.2", PAGE - timedelta(minutes=3), service_id="PCHECKOUT"),
            make_change_event("C2", "Deploy checkout 1.4.3", later),
        ],
    }
    scenario = load_scenario(write_scenario(tmp_path, data))
    with PagerDutyStandIn(scenario, token=TOKEN) as server:
        pd = connector(server.url)
        assert [(i.id, i.status, i.resolved_at) for i in pd.open_incidents()] == [("PINC1", "triggered", None)]
        with pytest.raises(ConnectorError, match="404"):
            pd.incident("PFUTURE")
        assert [a.fingerprint for a in pd.incident_alerts("PINC1")] == ["A1"]
        assert pd.log_entries("PINC1", until=later) == []
        changes = pd.change_events(since=PAGE - timedelta(hours=1), until=later)
        assert [(c.id, c.kind, c.component) for c in changes] == [("C1", "deploy", "PCHECKOUT")]


def test_acknowledge_resolve_note_change_state_and_are_idempotent(stand_in: PagerDutyStandIn) -> None:
    pd = connector(stand_in.url)
    pd.acknowledge("PINC1")
    pd.acknowledge("PINC1")
    assert pd.incident("PINC1").status == "acknowledged" and pd.incident("PINC1").acknowledged_at == PAGE
    pd.resolve("PINC1")
    pd.resolve("PINC1")
    pd.acknowledge("PINC1")  # acknowledging a resolved incident is not an error
    pd.add_note("PINC1", "rolled back checkout to 1.4.1")
    assert stand_in.incidents["PINC1"]["status"] == "resolved"
    assert [(m["method"], m["from"]) for m in stand_in.mutations] == [
        ("PUT", "oncall@example.com"),
        ("PUT", "oncall@example.com"),
        ("POST", "oncall@example.com"),
    ]
    assert stand_in.mutations[0]["body"] == {"incident": {"type": "incident_reference", "status": "acknowledged"}}
    assert stand_in.notes["PINC1"][0]["content"] == "rolled back checkout to 1.4.1"
    types = [e.type for e in pd.log_entries("PINC1", until=PAGE)]
    assert types == ["trigger_log_entry", "acknowledge_log_entry", "resolve_log_entry", "annotate_log_entry"]


def test_resolved_elsewhere_between_read_and_write_is_not_an_error(stand_in: PagerDutyStandIn) -> None:
    stale = {"incident": make_incident("PINC1", "stale read", "triggered", "PCHECKOUT", PAGE)}
    stand_in.routes.insert(0, ("GET", re.compile("^/incidents/PINC1$"), lambda r: stale))
    stand_in.incidents["PINC1"].update(status="resolved", resolved_at=PAGE.isoformat())
    connector(stand_in.url).acknowledge("PINC1")  # the PUT answers 400 "Incident Already Resolved"
    assert len(stand_in.mutations) == 1 and stand_in.incidents["PINC1"]["status"] == "resolved"


def test_actions_need_from_email(stand_in: PagerDutyStandIn) -> None:
    with pytest.raises(ConnectorError, match="from_email"):
        connector(stand_in.url, from_email=None).acknowledge("PINC1")
    assert stand_in.mutations == []


def test_check_reports_why_not(stand_in: PagerDutyStandIn) -> None:
    bad = connector(stand_in.url, token="wrong-token-9876").check()
    assert not bad.ok and "401" in bad.detail and "9876" not in bad.detail
    unset = PagerDutyConnector(PagerDutyConfig(base_url=stand_in.url)).check()
    assert not unset.ok and unset.detail == "no api_token configured"
    remote_http = connector("http://pagerduty.example.com").check()
    assert not remote_http.ok and "https" in remote_http.detail
    with pytest.raises(ConnectorError, match="invalid incident id"):
        connector(stand_in.url).incident("../abilities")


@pytest.mark.parametrize(
    "body",
    [
        Response(200, "<html>maintenance</html>", content_type="text/html"),
        Response(200, ["not", "an", "object"]),
        Response(200, {"unexpected": []}),
        Response(200, {"incidents": [{"id": "P1", "status": "triggered"}], "more": False}),  # no created_at
        Response(
            200,
            {"incidents": [{"id": "P1", "status": "triggered", "created_at": "yesterday"}], "more": False},
        ),
    ],
)
def test_garbage_responses_are_data_errors(body: Response) -> None:
    with StandInServer() as server:
        server.route("GET", "/broken/incidents", lambda r: body)
        with pytest.raises(ConnectorDataError):
            connector(server.url + "/broken").open_incidents()


def test_dead_server_and_timeout() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ConnectorError, match="cannot reach") as caught:
        connector(f"http://127.0.0.1:{port}").open_incidents()
    assert not isinstance(caught.value, ConnectorDataError | ConnectorTimeout)
    with socket.socket() as silent:  # accepts connections (kernel backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        started = time.monotonic()
        with pytest.raises(ConnectorTimeout):
            connector(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout="0.2s").incident_alerts("PINC1")
        assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    ("summary", "custom", "kind"),
    [
        ("Deploy checkout 1.4.2", {}, "deploy"),
        ("Feature flag new_cart enabled", {}, "config_change"),
        ("Update checkout config and deploy v1.5", {}, "deploy"),
        ("Bump pool size", {"change_type": "config"}, "config_change"),
        ("Config tweak", {"type": "deployment"}, "deploy"),
    ],
)
def test_change_kind(summary: str, custom: dict[str, str], kind: str) -> None:
    assert change_kind(summary, custom) == kind


# --------------------------------------------------------------------------- webhooks

WEBHOOK = {
    "event": {
        "id": "01DEN1HNLBC1VITK192ETOE8TE",
        "event_type": "incident.acknowledged",
        "resource_type": "incident",
        "occurred_at": "2026-01-10T14:06:12.169Z",
        "data": {
            "id": "PINC1",
            "type": "incident",
            "status": "acknowledged",
            "title": "Checkout errors",
            "service": {"id": "PCHECKOUT", "type": "service_reference"},
        },
    }
}


def test_signature_good_bad_and_multiple() -> None:
    body = json.dumps(WEBHOOK).encode()
    good = sign(body, "s3cret")
    assert verify_signature(body, good, "s3cret")
    assert verify_signature(body, f"v1=deadbeef, {good}", "s3cret")  # rotated secrets: any match
    assert not verify_signature(body, "v1=deadbeef,v1=00", "s3cret")
    assert not verify_signature(body + b" ", good, "s3cret")
    assert not verify_signature(body, good, "other")
    assert not verify_signature(body, None, "s3cret")
    assert not verify_signature(body, "v1=é", "s3cret")


def test_parse_webhook() -> None:
    event = parse_webhook(json.dumps(WEBHOOK).encode())
    assert (event.event_type, event.incident_id, event.incident_status) == (
        "incident.acknowledged",
        "PINC1",
        "acknowledged",
    )
    assert event.occurred_at == datetime(2026, 1, 10, 14, 6, 12, 169000, tzinfo=UTC)
    assert (event.title, event.service_id, event.id) == (
        "Checkout errors",
        "PCHECKOUT",
        "01DEN1HNLBC1VITK192ETOE8TE",
    )
    data = {"id": "PNOTE", "type": "incident_note", "incident": {"id": "PINC1"}}
    note = {"event": {**WEBHOOK["event"], "event_type": "incident.annotated", "data": data}}
    assert parse_webhook(json.dumps(note).encode()).incident_id == "PINC1"
    ping = {"event": {"event_type": "pagey.ping", "occurred_at": "2026-01-10T14:00:00Z", "data": {"type": "ping"}}}
    assert parse_webhook(json.dumps(ping).encode()).incident_id is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[]", "missing 'event'"),
        (b'{"messages": []}', "missing 'event'"),
        (json.dumps({"event": {**WEBHOOK["event"], "event_type": None}}).encode(), "event_type"),
        (json.dumps({"event": {**WEBHOOK["event"], "occurred_at": "soon"}}).encode(), "occurred_at"),
        (json.dumps({"event": {**WEBHOOK["event"], "data": None}}).encode(), "event.data"),
        (json.dumps({"event": {**WEBHOOK["event"], "data": {"type": "incident"}}}).encode(), "event.data.id"),
        (
            json.dumps({"event": {**WEBHOOK["event"], "data": {"id": "N1", "type": "incident_note"}}}).encode(),
            "incident.id",
        ),
        # hostile input is a 400 naming the field, never a 500
        (
            json.dumps({"event": {**WEBHOOK["event"], "occurred_at": "9999-12-31T23:59:59-23:59"}}).encode(),
            "occurred_at",
        ),
        (json.dumps({"event": {**WEBHOOK["event"], "occurred_at": "0000-01-01T00:00:00Z"}}).encode(), "occurred_at"),
        (
            json.dumps(
                {"event": {**WEBHOOK["event"], "data": {**WEBHOOK["event"]["data"], "title": "a\ud800"}}}
            ).encode(),
            r"event.data.title: contains a lone surrogate",
        ),
        (
            json.dumps(
                {"event": {**WEBHOOK["event"], "data": {**WEBHOOK["event"]["data"], "title": "a\u0000"}}}
            ).encode(),
            r"event.data.title: contains a NUL",
        ),
        (b'{"event": ' * 5000 + b"{}" + b"}" * 5000, "not JSON"),
    ],
)
def test_malformed_webhooks_are_rejected_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(WebhookError, match=reason) as caught:
        parse_webhook(body)
    assert caught.value.status == 400
