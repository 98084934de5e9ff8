"""A full store (SQLite's ``PRAGMA max_page_count``: the same SQLITE_FULL a full disk gives): a webhook
that cannot be committed is a 5xx, never a 2xx (Alertmanager retries 5xx), ``/healthz`` says the
store is not writable, and once space returns the re-sent payload lands exactly once."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.exc import OperationalError

from incident.config import load_settings
from incident.listener import Listener
from incident.models import Alert, InboxItem, InboxStatus, Incident, utcnow
from incident.registry import Connectors
from incident.store import Store
from incident.watcher import Watcher

HEADERS = {"content-type": "application/json"}


def notification(fingerprint: str) -> bytes:
    alert = {
        "status": "firing",
        "labels": {"alertname": "DiskTest", "service": "cart"},
        "annotations": {"summary": "x" * 20_000},  # needs new pages whatever free space is left
        "startsAt": "2026-12-07T21:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": fingerprint,
    }
    return json.dumps({"version": "4", "status": "firing", "receiver": "oncall", "alerts": [alert]}).encode()


class PageLimit:
    """Caps the SQLite file at its current size on every (new) connection of ``store``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.pages: int | None = None

    def _on_connect(self, dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA max_page_count={self.pages}")
        cur.close()

    def fill(self) -> None:
        with self.store.engine.connect() as conn:
            self.pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())
        event.listen(self.store.engine, "connect", self._on_connect)
        self.store.engine.dispose()  # every connection from now on is capped
        try:  # the free space left in the inbox's pages, with rows like the health probe's
            for _ in range(10_000):
                with self.store.engine.begin() as conn:
                    conn.execute(
                        insert(InboxItem).values(
                            received_at=utcnow(), source="ballast", body=b"", status=str(InboxStatus.done), attempts=0
                        )
                    )
        except OperationalError as exc:
            assert "full" in str(exc).lower()
        else:
            raise AssertionError("the capped store never filled")

    def free(self) -> None:
        event.remove(self.store.engine, "connect", self._on_connect)
        self.store.engine.dispose()


@pytest.fixture
def listener(store: Store) -> Iterator[tuple[Watcher, httpx.Client]]:
    watcher = Watcher(load_settings(user_file=False), store, Connectors())
    served = Listener(watcher, "127.0.0.1").start()
    client = httpx.Client(base_url=served.url, timeout=30)
    try:
        yield watcher, client
    finally:
        client.close()
        served.stop()
        watcher.stop()


def test_a_webhook_into_a_full_store_is_a_5xx_and_its_resend_lands_once(
    listener: tuple[Watcher, httpx.Client], store: Store
) -> None:
    watcher, client = listener
    before = client.post("/webhooks/alertmanager", content=notification("fp-before"), headers=HEADERS)
    assert before.status_code == 202
    watcher.inbox.drain()
    limit = PageLimit(store)
    limit.fill()
    try:
        for _ in range(3):  # Alertmanager's retries while the disk stays full
            answer = client.post("/webhooks/alertmanager", content=notification("fp-full"), headers=HEADERS)
            assert answer.status_code >= 500, answer.text
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["store"].startswith("not writable")
    finally:
        limit.free()
    assert client.get("/healthz").json()["store"] == "writable"
    resent = client.post("/webhooks/alertmanager", content=notification("fp-full"), headers=HEADERS)
    assert resent.status_code == 202
    assert client.post("/webhooks/alertmanager", content=notification("fp-full"), headers=HEADERS).status_code == 202
    watcher.inbox.drain()
    with store.session() as s:
        rows = dict(s.execute(select(Alert.fingerprint, func.count()).group_by(Alert.fingerprint)).all())
        assert rows == {"fp-before": 1, "fp-full": 1}
        assert s.scalar(select(func.count()).select_from(Incident)) == 1
        statuses = set(s.scalars(select(InboxItem.status).where(InboxItem.source != "ballast")))
        assert statuses == {str(InboxStatus.done)}


def test_healthz_says_not_writable_when_the_store_filesystem_is_full(
    listener: tuple[Watcher, httpx.Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The health probe's write is rolled back, so SQLite never writes it: a full disk (measured on a
    tmpfs: the probe kept answering "writable" while every webhook got a 503) shows only in the
    filesystem's free space."""
    from incident.listener import app

    _, client = listener
    real = os.statvfs

    def full(path: str) -> os.statvfs_result:
        fs = real(path)
        return os.statvfs_result((fs.f_bsize, fs.f_frsize, fs.f_blocks, 0, 0, *tuple(fs)[5:]))

    monkeypatch.setattr(app.os, "statvfs", full)
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["store"].startswith("not writable: 0 bytes free on the store's filesystem")
    monkeypatch.setattr(app.os, "statvfs", real)
    assert client.get("/healthz").json()["store"] == "writable"


def test_an_acknowledged_alert_the_full_store_refused_is_retried_not_quarantined(
    listener: tuple[Watcher, httpx.Client], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Processing an acknowledged notification while the disk is full (seen in the full-disk
    benchmark row: one alert quarantined as "the store refused it"): a transient store error must
    leave the payload to be retried, not set the alert aside for good once the inbox item is done."""
    from incident.intake import Intake

    watcher, client = listener
    real = Intake.alert
    failures = iter([OperationalError("INSERT INTO alerts", {}, Exception("database or disk is full"))])

    def full_once(self: Intake, *args: Any, **kwargs: Any) -> Any:
        exc = next(failures, None)
        if exc is not None:
            raise exc
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Intake, "alert", full_once)
    assert client.post("/webhooks/alertmanager", content=notification("fp-refused"), headers=HEADERS).status_code == 202
    for _ in range(3):  # the inbox worker's next attempts, once space is back
        watcher.inbox.drain()
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Alert).where(Alert.fingerprint == "fp-refused")) == 1


def test_a_long_outage_of_the_store_does_not_use_up_the_payloads_attempts(
    listener: tuple[Watcher, httpx.Client], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attempts are counted so a payload that crashes the process is set aside; a store that
    stays full for longer than that many drains is not the payload's fault."""
    from incident.inbox import MAX_ATTEMPTS
    from incident.intake import Intake

    watcher, client = listener
    real = Intake.alert
    failures = iter(
        [OperationalError("INSERT INTO alerts", {}, Exception("database or disk is full"))] * (MAX_ATTEMPTS + 3)
    )

    def full_for_a_while(self: Intake, *args: Any, **kwargs: Any) -> Any:
        exc = next(failures, None)
        if exc is not None:
            raise exc
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Intake, "alert", full_for_a_while)
    assert client.post("/webhooks/alertmanager", content=notification("fp-outage"), headers=HEADERS).status_code == 202
    for _ in range(MAX_ATTEMPTS + 5):
        watcher.inbox.drain()
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Alert).where(Alert.fingerprint == "fp-outage")) == 1
        assert s.scalars(select(InboxItem.status)).all() == ["done"]
