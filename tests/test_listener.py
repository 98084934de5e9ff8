"""The hardened listener over real HTTP: authentication, limits, timeouts, /healthz, /metrics."""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from connectors.pagerduty.webhook import sign
from incident.config import load_settings
from incident.errors import ConfigError
from incident.listener import Listener
from incident.listener.server import _bind
from incident.models import InboxItem, Incident
from incident.registry import Connectors, build_connectors
from incident.store import Store
from incident.watcher import Watcher
from tests.test_webhooks import am_body, pd_body

SECRET = "whsec-test"
TOKEN = "am-token-0123456789"
JSON = {"content-type": "application/json"}

Start = Callable[..., tuple[httpx.Client, Watcher, Listener]]


@pytest.fixture
def start(store: Store) -> Iterator[Start]:
    running: list[tuple[httpx.Client, Watcher, Listener]] = []

    def _start(host: str = "127.0.0.1", connectors: Connectors | None = None, **webhooks: Any) -> Any:
        overlay = {"pagerduty": {"webhook_secret": SECRET}, "webhooks": webhooks}
        settings = load_settings(overlays=[overlay], user_file=False)
        watcher = Watcher(settings, store, connectors or Connectors())
        listener = Listener(watcher, host).start()
        port = listener.url.rsplit(":", 1)[1]
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        running.append((client, watcher, listener))
        return client, watcher, listener

    yield _start
    for client, watcher, listener in running:
        client.close()
        listener.stop()
        watcher.stop()


def inbox_rows(store: Store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(InboxItem)) or 0


def raw_request(port: int, head: bytes, body: bytes = b"", *, read_timeout: float = 10) -> tuple[bytes, float]:
    """Send ``head`` and ``body`` on one socket; return what came back until the server closed, and when."""
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as sock:
        started = time.monotonic()
        sock.sendall(head)
        if body:
            with contextlib.suppress(OSError):  # the server answered and closed before taking it all
                sock.sendall(body)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
        return answer, time.monotonic() - started


def port_of(listener: Listener) -> int:
    return int(listener.url.rsplit(":", 1)[1])


# ---------------------------------------------------------------------- authentication
def test_listening_beyond_loopback_needs_alertmanager_auth(start: Start) -> None:
    with pytest.raises(ConfigError, match="alertmanager_bearer_token"):
        start("0.0.0.0")


def test_alertmanager_endpoint_takes_bearer_or_basic_credentials(start: Start, store: Store) -> None:
    client, watcher, _ = start(
        "0.0.0.0", alertmanager_bearer_token=TOKEN, alertmanager_basic_user="am", alertmanager_basic_password="pw"
    )
    body = am_body()
    anonymous = client.post("/webhooks/alertmanager", json=body)
    assert anonymous.status_code == 401 and "Bearer" in anonymous.headers["www-authenticate"]
    assert client.post("/webhooks/alertmanager", json=body, headers={"authorization": "Bearer nope"}).status_code == 401
    wrong = base64.b64encode(b"am:wrong").decode()
    assert (
        client.post("/webhooks/alertmanager", json=body, headers={"authorization": f"Basic {wrong}"}).status_code == 401
    )
    assert inbox_rows(store) == 0
    ok = client.post("/webhooks/alertmanager", json=body, headers={"authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 202
    basic = base64.b64encode(b"am:pw").decode()
    assert (
        client.post("/webhooks/alertmanager", json=body, headers={"authorization": f"Basic {basic}"}).status_code == 202
    )
    watcher.inbox.drain()
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 1


def test_cli_refuses_an_open_listener_beyond_loopback(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    config = tmp_path / "config.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{tmp_path / "s.db"}"\n[kubernetes]\nenabled = false\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENT_")}
    cmd = [sys.executable, "-c", "from incident.cli import main; main()", "--config", str(config)]
    result = subprocess.run(
        [*cmd, "watch", "--listen", "0.0.0.0:0"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "alertmanager_bearer_token" in result.stdout + result.stderr


# ---------------------------------------------------------------------- limits
@pytest.mark.parametrize("endpoint", ["alertmanager", "pagerduty"])
def test_a_huge_body_is_413_from_content_length_without_being_read(start: Start, store: Store, endpoint: str) -> None:
    _, _, listener = start(max_body_bytes=64 * 1024)
    declared = 50 * 1024 * 1024
    head = (
        f"POST /webhooks/{endpoint} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"X-PagerDuty-Signature: v1=00\r\nContent-Length: {declared}\r\n\r\n"
    ).encode()
    answer, seconds = raw_request(port_of(listener), head, b"[" * (1024 * 1024))
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert seconds < 5  # answered and closed: the 50 MB were never waited for
    assert inbox_rows(store) == 0


@pytest.mark.parametrize("endpoint", ["alertmanager", "pagerduty"])
def test_a_streamed_body_is_cut_at_the_cap(start: Start, store: Store, endpoint: str) -> None:
    _, _, listener = start(max_body_bytes=64 * 1024)
    head = (
        f"POST /webhooks/{endpoint} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    chunk = b"x" * 16384
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(64))  # 1 MiB, never terminated
    answer, _ = raw_request(port_of(listener), head, chunks)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert inbox_rows(store) == 0


def test_a_million_deep_json_is_400_not_500(start: Start, store: Store) -> None:
    client, _, _ = start()
    deep = b"[" * 1_000_000 + b"]" * 1_000_000
    r = client.post("/webhooks/alertmanager", content=deep, headers=JSON)
    assert r.status_code == 400 and "nested deeper" in r.json()["error"]
    nested: Any = {"version": "4", "alerts": []}
    for _ in range(40):
        nested = {"a": nested}
    r = client.post("/webhooks/alertmanager", content=json.dumps(nested).encode(), headers=JSON)
    assert r.status_code == 400
    signed = client.post(
        "/webhooks/pagerduty", content=deep, headers={**JSON, "X-PagerDuty-Signature": sign(deep, SECRET)}
    )
    assert signed.status_code == 400 and "nested deeper" in signed.json()["error"]
    assert inbox_rows(store) == 0


def test_brackets_inside_strings_do_not_count_as_depth(start: Start, store: Store) -> None:
    client, watcher, _ = start()
    body = am_body()
    body["alerts"][0]["annotations"]["summary"] = "[[[[" * 100 + '\\"{{{{' * 100
    assert client.post("/webhooks/alertmanager", json=body).status_code == 202


@pytest.mark.parametrize("endpoint", ["alertmanager", "pagerduty"])
def test_wrong_content_type_is_415(start: Start, store: Store, endpoint: str) -> None:
    client, _, _ = start()
    body = json.dumps(am_body()).encode() if endpoint == "alertmanager" else pd_body()
    headers = {"content-type": "text/plain", "X-PagerDuty-Signature": sign(body, SECRET)}
    r = client.post(f"/webhooks/{endpoint}", content=body, headers=headers)
    assert r.status_code == 415
    assert client.post(f"/webhooks/{endpoint}", content=body).status_code == 415  # no content type at all
    assert inbox_rows(store) == 0


def test_a_client_dripping_its_headers_is_cut_off(start: Start) -> None:
    _, _, listener = start(header_timeout="1s")
    with socket.create_connection(("127.0.0.1", port_of(listener)), timeout=10) as sock:
        started = time.monotonic()
        closed_after = None
        for byte in b"POST /webhooks/alertmanager HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
            try:
                sock.sendall(bytes([byte]))
                sock.settimeout(0.25)
                if sock.recv(1024) == b"":
                    closed_after = time.monotonic() - started
                    break
            except TimeoutError:
                continue
            except OSError:
                closed_after = time.monotonic() - started
                break
    assert closed_after is not None and closed_after < 3


def test_a_client_dripping_its_body_is_cut_off(start: Start, store: Store) -> None:
    _, _, listener = start(body_timeout="1s")
    body = json.dumps(am_body()).encode()
    head = (
        "POST /webhooks/alertmanager HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port_of(listener)), timeout=10) as sock:
        sock.sendall(head)
        started = time.monotonic()
        answer = b""
        for byte in body:
            sock.sendall(bytes([byte]))
            sock.settimeout(0.2)
            try:
                answer = sock.recv(1024)
                break
            except TimeoutError:
                continue
        elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert elapsed < 3
    assert inbox_rows(store) == 0


def test_connections_beyond_the_limit_are_503(start: Start) -> None:
    client, _, listener = start(max_connections=2, header_timeout="10s")
    idle = [socket.create_connection(("127.0.0.1", port_of(listener))) for _ in range(2)]
    try:
        time.sleep(0.2)
        assert client.get("/healthz").status_code == 503
    finally:
        for sock in idle:
            sock.close()
    time.sleep(0.2)
    assert httpx.get(f"http://127.0.0.1:{port_of(listener)}/healthz").status_code == 200


# ---------------------------------------------------------------------- health and metrics
def test_healthz_reflects_store_writability_and_poll_health(start: Start, store: Store, tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nothing listens on: the Alertmanager poll fails
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    settings = load_settings(
        overlays=[{"alertmanager": {"url": f"http://127.0.0.1:{dead}"}, "kubernetes": {"enabled": False}}],
        user_file=False,
    )
    client, watcher, _ = start(connectors=build_connectors(settings))
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok", "store": "writable", "polls": {"alertmanager": "ok"}}
    watcher.poll_alertmanager()
    degraded = client.get("/healthz").json()
    assert degraded["status"] == "degraded" and degraded["polls"]["alertmanager"] != "ok"
    locker = sqlite3.connect(store.engine.url.database or "", timeout=1)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        locked = client.get("/healthz")
        assert locked.status_code == 503 and locked.json()["store"].startswith("not writable")
    finally:
        locker.rollback()
        locker.close()
    time.sleep(0.5)
    assert client.get("/healthz").json()["store"] == "writable"


def metric(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return None


def test_metrics_count_pages_incidents_refusals_and_durations(start: Start) -> None:
    client, watcher, _ = start()
    assert client.post("/webhooks/alertmanager", json=am_body()).status_code == 202
    assert client.post("/webhooks/alertmanager", content=b"[", headers=JSON).status_code == 400
    watcher.inbox.drain()
    deadline = time.monotonic() + 30
    while True:
        text = client.get("/metrics").text
        if (metric(text, "incident_analysis_duration_seconds_count") or 0) >= 1 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert metric(text, "incident_webhooks_received_total", endpoint="alertmanager", code="202") == 1
    assert metric(text, "incident_webhooks_received_total", endpoint="alertmanager", code="400") == 1
    assert metric(text, "incident_pages_received_total", source="alertmanager") == 1
    assert metric(text, "incident_incidents_opened_total", source="alertmanager") == 1
    assert metric(text, "incident_gather_duration_seconds_count") == 1
    assert metric(text, "incident_analysis_duration_seconds_count") == 1
    assert metric(text, "incident_inbox_pending") == 0
    assert metric(text, "incident_quarantined_alerts") == 0
    assert "# TYPE incident_connector_errors_total counter" in text


def test_the_listening_socket_says_tcp_so_answers_are_not_delayed() -> None:
    """Regression: the socket was not marked IPPROTO_TCP, so asyncio never set TCP_NODELAY on accepted
    connections and each keep-alive answer waited ~40 ms for a delayed ACK (a structural check: a
    timing assertion here was flaky under load)."""
    sock = _bind("127.0.0.1", 0, 8)
    try:
        assert sock.proto == socket.IPPROTO_TCP and sock.type == socket.SOCK_STREAM
    finally:
        sock.close()
