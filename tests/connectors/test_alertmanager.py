"""AlertmanagerConnector and the webhook parser, against a real Alertmanager and broken servers."""

from __future__ import annotations

import json
import re
import shutil
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from connectors.alertmanager import AlertmanagerConnector, fingerprint, parse_webhook
from incident.config import AlertmanagerConfig
from incident.errors import ConnectorDataError, ConnectorError, ConnectorTimeout, SandboxError, WebhookError
from incident.sandbox.alertmanager import AlertmanagerProcess
from incident.sandbox.http import Request, Response, StandInServer
from incident.sandbox.procs import free_port
from incident.scenario import Scenario, load_scenario

PAGE = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

needs_alertmanager = pytest.mark.skipif(
    shutil.which("prometheus-alertmanager") is None,
    reason="prometheus-alertmanager not installed (apt-get install prometheus-alertmanager)",
)


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def _alert(name: str, starts: datetime, ends: datetime, state: str, **labels: str) -> dict:
    return {
        "labels": {"alertname": name, **labels},
        "annotations": {"summary": f"{name} summary"},
        "startsAt": starts.isoformat().replace("+00:00", "Z"),
        "endsAt": ends.isoformat().replace("+00:00", "Z"),
        "generatorURL": f"http://prometheus.local/graph?g0.expr={name}",
        "fingerprint": "0000",
        "receivers": [{"name": "oncall-pager"}],
        "status": {"state": state, "silencedBy": [], "inhibitedBy": []},
    }


ALERTS = [
    _alert("HighErrorRatio", PAGE - timedelta(minutes=5), PAGE + timedelta(minutes=4), "active",
           service="checkout", severity="critical"),
    _alert("DiskFilling", PAGE - timedelta(hours=2), PAGE - timedelta(hours=1), "resolved", service="db"),
    _alert("LaterAlert", PAGE + timedelta(minutes=1), PAGE + timedelta(minutes=5), "active", service="cart"),
]  # fmt: skip


def write_scenario(root: Path) -> Scenario:
    root.mkdir(parents=True, exist_ok=True)
    (root / "scenario.yaml").write_text(
        f"name: am-test\npage:\n  source: alertmanager\n  at: {PAGE.isoformat()}\n  alert: HighErrorRatio\n"
    )
    (root / "alertmanager.json").write_text(json.dumps(ALERTS))
    return load_scenario(root)


class Webhook(StandInServer):
    name = "webhook-sink"

    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[bytes] = []
        self.route("POST", "/hook", self._hook)

    def _hook(self, request: Request) -> Response:
        self.bodies.append(request.body)
        return Response(200, {})


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[tuple[AlertmanagerProcess, Webhook]]:
    if shutil.which("prometheus-alertmanager") is None:
        pytest.skip("prometheus-alertmanager not installed (apt-get install prometheus-alertmanager)")
    with (
        Webhook() as hook,
        AlertmanagerProcess(write_scenario(tmp_path / "s"), tmp_path, webhook_url=hook.url + "/hook") as am,
    ):
        yield am, hook


def connector(url: str | None, **kwargs: object) -> AlertmanagerConnector:
    return AlertmanagerConnector(AlertmanagerConfig(url=url, **kwargs))


@pytest.mark.binaries
@needs_alertmanager
def test_active_alerts_are_the_scenarios_firing_ones(sandbox: tuple[AlertmanagerProcess, Webhook]) -> None:
    am, _ = sandbox
    alerts = connector(am.url).active_alerts()
    assert [a.name for a in alerts] == ["HighErrorRatio"]  # resolved one not active, later one never posted
    alert = alerts[0]
    assert alert.source == "alertmanager" and alert.status == "firing"
    assert alert.labels == {"alertname": "HighErrorRatio", "service": "checkout", "severity": "critical"}
    assert alert.severity == "critical" and alert.annotations == {"summary": "HighErrorRatio summary"}
    assert alert.starts_at == PAGE - timedelta(minutes=5)
    assert alert.ends_at is not None and alert.ends_at > datetime.now(UTC)  # kept active in the real future
    assert alert.fingerprint and alert.generator_url.endswith("HighErrorRatio")
    assert connector(am.url, receiver="oncall-pager").active_alerts() == alerts
    assert connector(am.url, receiver="someone-else").active_alerts() == []
    assert am.refeed() == 2


@pytest.mark.binaries
@needs_alertmanager
def test_a_silenced_alert_is_still_polled_with_its_silence_and_expire_is_idempotent(
    sandbox: tuple[AlertmanagerProcess, Webhook],
) -> None:
    am, _ = sandbox
    client = connector(am.url)
    now = datetime.now(UTC)
    silence_id = client.create_silence(
        matchers={"alertname": "HighErrorRatio", "service": "checkout"},
        starts_at=now,
        ends_at=now + timedelta(hours=1),
        created_by="oncall@example.com",
        comment="investigating",
    )
    listed = {s.id: s for s in client.silences()}
    assert listed[silence_id].state == "active"
    assert listed[silence_id].matchers == {"alertname": "HighErrorRatio", "service": "checkout"}
    assert listed[silence_id].created_by == "oncall@example.com"
    poll = client.poll()  # a silence mutes notifications; the alert is still firing
    assert [a.name for a in poll.alerts] == ["HighErrorRatio"]
    [(fp, muted)] = poll.suppression.items()
    assert fp == poll.alerts[0].fingerprint and muted.inhibited_by == ()
    assert [(s.id, s.created_by, s.comment) for s in muted.silenced_by] == [
        (silence_id, "oncall@example.com", "investigating")
    ]
    assert muted.silenced_by[0].ends_at is not None and muted.silenced_by[0].ends_at > now
    client.expire_silence(silence_id)
    client.expire_silence(silence_id)
    client.expire_silence("5b3a1f0e-0000-4000-8000-000000000000")
    assert {s.id: s.state for s in client.silences()}[silence_id] == "expired"
    after = client.poll()
    assert [a.name for a in after.alerts] == ["HighErrorRatio"] and after.suppression == {}


@pytest.mark.binaries
@needs_alertmanager
def test_fingerprints_computed_from_labels_are_alertmanagers(sandbox: tuple[AlertmanagerProcess, Webhook]) -> None:
    am, _ = sandbox
    now = datetime.now(UTC)
    label_sets = [{"alertname": "A", "service": f"svc-{i}", "zone": "eu-west-1a"} for i in range(5)] + [
        {"alertname": "Ünïcode", "b": "\u2603 snow", "a": ""},
        {"alertname": "x" * 255},  # the longest label value the copilot accepts
    ]
    posted = [
        {"labels": labels, "startsAt": _iso(now), "endsAt": _iso(now + timedelta(hours=1))} for labels in label_sets
    ]
    httpx.post(f"{am.url}/api/v2/alerts", json=posted, timeout=10).raise_for_status()
    by_labels = {json.dumps(a.labels, sort_keys=True): a.fingerprint for a in connector(am.url).active_alerts()}
    for labels in label_sets:
        present = {k: v for k, v in labels.items() if v}  # Alertmanager drops empty labels
        assert fingerprint(labels) == by_labels[json.dumps(present, sort_keys=True)]


@pytest.mark.binaries
@needs_alertmanager
def test_an_alert_without_alertname_is_rejected_alone_and_the_poll_proceeds(
    sandbox: tuple[AlertmanagerProcess, Webhook],
) -> None:
    am, _ = sandbox
    now = datetime.now(UTC)
    nameless = {"labels": {"service": "cart"}, "startsAt": _iso(now), "endsAt": _iso(now + timedelta(hours=1))}
    httpx.post(f"{am.url}/api/v2/alerts", json=[nameless], timeout=10).raise_for_status()
    client = connector(am.url)
    poll = client.poll()
    assert [a.name for a in poll.alerts] == ["HighErrorRatio"]
    [bad] = poll.rejected
    assert "labels.alertname: missing" in bad.reason and '"cart"' in bad.raw
    assert bad.fingerprint == fingerprint({"service": "cart"})
    result = client.check()
    assert result.ok and "1 invalid" in result.detail


def test_check_is_not_ok_when_the_alert_poll_fails() -> None:
    server = StandInServer()
    server.route("GET", "/api/v2/status", lambda _: {"versionInfo": {"version": "0.25.0"}, "cluster": {}})
    server.route("GET", "/api/v2/alerts", lambda _: Response(500, "boom"))
    with server:
        result = connector(server.url).check()
    assert not result.ok and "polling alerts fails" in result.detail and "HTTP 500" in result.detail


@pytest.mark.binaries
@needs_alertmanager
def test_resolve_all_and_check(sandbox: tuple[AlertmanagerProcess, Webhook]) -> None:
    am, _ = sandbox
    client = connector(am.url)
    result = client.check()
    assert result.ok and "0." in result.detail and "cluster disabled" in result.detail
    am.resolve_all()
    assert client.active_alerts() == []
    am.refeed()  # a periodic refeed after resolve_all keeps them resolved
    assert client.active_alerts() == []


@pytest.mark.binaries
@needs_alertmanager
def test_real_webhook_notification_parses(sandbox: tuple[AlertmanagerProcess, Webhook]) -> None:
    _, hook = sandbox
    deadline = time.monotonic() + 10
    while not hook.bodies and time.monotonic() < deadline:
        time.sleep(0.1)
    assert hook.bodies, "alertmanager sent no webhook"
    note = parse_webhook(hook.bodies[0])
    assert note.receiver == "oncall-pager" and note.status == "firing"
    assert note.group_labels == {"alertname": "HighErrorRatio"}
    assert [(a.name, a.status) for a in note.alerts] == [("HighErrorRatio", "firing")]
    assert note.alerts[0].labels["service"] == "checkout"
    assert note.alerts[0].ends_at is None  # Alertmanager sends Go's zero time for a firing alert


def test_missing_binary_names_the_debian_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = write_scenario(tmp_path / "s")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SandboxError, match="'prometheus-alertmanager'"):
        AlertmanagerProcess(scenario, tmp_path).start()


def test_dead_url_and_unset_url() -> None:
    dead = connector(f"http://127.0.0.1:{free_port()}", timeout=2)
    result = dead.check()
    assert not result.ok and "ConnectError" in result.detail
    with pytest.raises(ConnectorError) as info:
        dead.active_alerts()
    assert info.value.connector == "alertmanager"
    unset = connector(None)
    assert not unset.check().ok and "not set" in unset.check().detail
    with pytest.raises(ConnectorError, match="not set"):
        unset.active_alerts()


def test_html_and_wrong_shapes_are_data_errors() -> None:
    server = StandInServer()
    server.route("GET", "/api/v2/status", lambda _: Response(200, "<html>proxy login</html>", "text/html"))
    server.route("GET", "/api/v2/alerts", lambda _: {"alerts": []})
    server.route("GET", "/api/v2/silences", lambda _: [{"status": {"state": "active"}}])
    server.route("POST", "/api/v2/silences", lambda _: {})
    server.route("DELETE", "/api/v2/silence/(?P<id>.+)", lambda _: Response(500, "boom"))
    with server:
        client = connector(server.url)
        result = client.check()
        assert not result.ok and "not JSON" in result.detail
        with pytest.raises(ConnectorDataError, match="expected a list"):
            client.active_alerts()
        with pytest.raises(ConnectorDataError, match="unreadable silence"):
            client.silences()
        now = datetime.now(UTC)
        with pytest.raises(ConnectorDataError, match="silenceID"):
            client.create_silence(matchers={"a": "b"}, starts_at=now, ends_at=now, created_by="x", comment="y")
        with pytest.raises(ConnectorError, match="HTTP 500"):
            client.expire_silence("abc")


def test_silent_server_is_a_timeout() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:
        client = connector(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=0.3)
        with pytest.raises(ConnectorTimeout):
            client.active_alerts()


# ---------------------------------------------------------------- webhook parsing (pure)


def _payload(**overrides: object) -> dict:
    payload = {
        "version": "4",
        "groupKey": '{}:{alertname="HighErrorRatio"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "oncall-pager",
        "groupLabels": {"alertname": "HighErrorRatio"},
        "commonLabels": {"alertname": "HighErrorRatio", "service": "checkout"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "HighErrorRatio", "service": "checkout", "severity": "page"},
                "annotations": {"summary": "errors"},
                "startsAt": "2024-05-01T11:55:00.123456789Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus/graph",
                "fingerprint": "abc123",
            },
            {
                "status": "resolved",
                "labels": {"alertname": "DiskFilling"},
                "startsAt": "2024-05-01T13:00:00+02:00",
                "endsAt": "2024-05-01T11:58:00Z",
            },
        ],
    }
    payload.update(overrides)
    return payload


def test_webhook_good_payload() -> None:
    note = parse_webhook(json.dumps(_payload()).encode())
    assert (note.receiver, note.status, note.external_url) == (
        "oncall-pager",
        "firing",
        "http://alertmanager:9093",
    )
    assert note.group_key.endswith('{alertname="HighErrorRatio"}')
    assert note.common_labels["service"] == "checkout"
    firing, resolved = note.alerts
    assert firing.status == "firing" and firing.ends_at is None and firing.severity == "page"
    assert firing.starts_at == datetime(2024, 5, 1, 11, 55, 0, 123456, tzinfo=UTC)
    assert firing.fingerprint == "abc123" and firing.source == "alertmanager"
    assert resolved.status == "resolved" and resolved.starts_at == datetime(2024, 5, 1, 11, 0, tzinfo=UTC)
    assert resolved.ends_at == datetime(2024, 5, 1, 11, 58, tzinfo=UTC)


def test_webhook_without_version_is_accepted() -> None:
    body = _payload()
    del body["version"]
    assert len(parse_webhook(json.dumps(body).encode()).alerts) == 2


def _with(*alerts: object, **overrides: object) -> bytes:
    return json.dumps(_payload(alerts=list(alerts), **overrides)).encode()


GOOD = _payload()["alerts"]
NO_NAME = {"labels": {"x": "y"}, "startsAt": "2024-05-01T00:00:00Z"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "JSON list, expected an object"),
        (json.dumps(_payload(version="3")).encode(), "version: '3' is not supported"),
        (json.dumps({"version": "4"}).encode(), "alerts: missing or not a list"),
        (json.dumps(_payload(alerts={"a": 1})).encode(), "alerts: missing or not a list"),
    ],
)
def test_webhook_with_a_malformed_envelope_is_rejected_with_reason(body: bytes, reason: str) -> None:
    with pytest.raises(WebhookError, match=reason) as info:
        parse_webhook(body)
    assert info.value.status == 400


LONE_SURROGATE = {**GOOD[0], "labels": {"alertname": "Bad", "service": "\ud800"}, "fingerprint": "bad1"}
NUL = {**GOOD[0], "annotations": {"summary": "a\u0000b"}, "fingerprint": "bad2"}


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (NO_NAME, r"alerts\[1\].labels.alertname: missing"),
        ({"labels": {"alertname": "A"}, "startsAt": "0"}, r"alerts\[1\].startsAt: not an RFC 3339"),
        ({"labels": {"alertname": "A"}, "startsAt": "2024-05-01"}, r"alerts\[1\].startsAt: not an RFC"),
        ({**GOOD[1], "endsAt": "soon"}, r"alerts\[1\].endsAt: not an RFC 3339 time"),
        ({**GOOD[1], "startsAt": "0000-01-01T00:00:00Z"}, r"alerts\[1\].startsAt: not an RFC 3339 time in range"),
        ({**GOOD[1], "startsAt": "9999-12-31T23:59:59-23:59"}, r"alerts\[1\].startsAt: not an RFC 3339 time in range"),
        ("x", r"alerts\[1\]: not an object"),
        ({"status": "weird", "labels": {"alertname": "A"}}, r"alerts\[1\].status"),
        (LONE_SURROGATE, r"alerts\[1\].labels.service: contains a lone surrogate"),
        (NUL, r"alerts\[1\].annotations.summary: contains a NUL"),
        ({**GOOD[0], "fingerprint": 7}, r"alerts\[1\].fingerprint: not a string"),
        (
            {**GOOD[0], "labels": {"alertname": "A", "deep": {"a": {"b": [1]}}}},
            r"alerts\[1\].labels.deep: not a string",
        ),
    ],
)
def test_an_invalid_alert_is_rejected_alone_and_the_batch_proceeds(bad: object, reason: str) -> None:
    body = _with(GOOD[0], bad, GOOD[1])
    note = parse_webhook(body)
    assert [a.name for a in note.alerts] == ["HighErrorRatio", "DiskFilling"]
    [rejected] = note.rejected
    assert re.search(reason, rejected.reason)
    json.loads(rejected.raw)  # kept raw as JSON text
    rejected.raw.encode("ascii")  # a lone surrogate or NUL stays escaped: every store takes the text


def test_webhook_alerts_without_fingerprint_get_alertmanagers_from_their_labels() -> None:
    alerts = [{k: v for k, v in GOOD[0].items() if k != "fingerprint"} for _ in range(5)]
    for i, alert in enumerate(alerts):
        alert["labels"] = {**alert["labels"], "service": f"svc-{i}"}
    note = parse_webhook(_with(*alerts))
    assert len({a.fingerprint for a in note.alerts}) == 5
    assert note.alerts[0].fingerprint == fingerprint(alerts[0]["labels"])
    # the documented vector: the empty label set fingerprints as FNV-64a's offset basis
    assert fingerprint({}) == f"{14695981039346656037:016x}"


def test_unreadable_group_labels_are_dropped_not_fatal() -> None:
    note = parse_webhook(_with(*GOOD, groupLabels=["a"], commonLabels={"x": "\ud800", "y": "z"}))
    assert note.group_labels == {} and note.common_labels == {"y": "z"} and len(note.alerts) == 2
