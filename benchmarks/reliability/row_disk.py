"""The ``full-disk`` row: the store's filesystem fills while Alertmanager notifications arrive.

The SQLite store lives on a 16 MiB tmpfs (mounting needs root); a ballast file takes most of it. The
listener (as ``incident watch --listen`` runs it) is sent notifications until the disk is full and
beyond, then the ballast is deleted and every refused notification is sent again, as Alertmanager
retries a 5xx. Without the right to mount, the store is capped with SQLite's ``PRAGMA
max_page_count`` instead (the same SQLITE_FULL), and the note says so.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, func, select

from benchmarks.reliability.payloads import JSON_HEADERS
from incident.config import load_settings
from incident.listener import Listener
from incident.models import Alert, InboxItem, InboxStatus, QuarantinedAlert
from incident.registry import Connectors
from incident.store import Store
from incident.watcher import Watcher

DISK = "16m"
FREE_AT_START = 1_000_000
"""Bytes left beside the ballast: full after a few dozen notifications."""
ALERTS_PER_NOTIFICATION = 5
SENDS_WHILE_FULL = 30
FULL_FOR = 8.0
"""Seconds the disk stays full at least: the inbox worker (woken every second) retries meanwhile."""
MAX_BODY = 64 * 1024
"""/healthz says not writable with less free space than this (bodies here are ~11 KB)."""
AFTER = 20
"""New notifications once space is back."""


def full_disk_row() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        mnt = Path(tmp) / "disk"
        mnt.mkdir()
        mounted = _mount(mnt)
        try:
            return _measure(mnt, mounted)
        finally:
            if mounted:
                _umount(mnt)


def _mount(mnt: Path) -> bool:
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK}", "tmpfs", str(mnt)], capture_output=True)
    return done.returncode == 0


def _umount(mnt: Path) -> None:
    if subprocess.run(["umount", str(mnt)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


class _Ballast:
    """What fills the disk: a file on the tmpfs, else a page cap on every new SQLite connection."""

    def __init__(self, mnt: Path, store: Store, mounted: bool) -> None:
        self.path = mnt / "ballast"
        self.store = store
        self.mounted = mounted
        self.capped = False

    def take(self) -> None:
        if self.mounted:
            free = os.statvfs(self.path.parent).f_bavail * os.statvfs(self.path.parent).f_frsize
            with self.path.open("wb") as f:
                f.write(b"\0" * max(0, free - FREE_AT_START))
            return
        with self.store.engine.connect() as conn:
            pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())
        size = int(self.store.engine.connect().exec_driver_sql("PRAGMA page_size").scalar_one())
        self._limit = pages + FREE_AT_START // size
        event.listen(self.store.engine, "connect", self._cap)
        self.store.engine.dispose()
        self.capped = True

    def _cap(self, dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA max_page_count={self._limit}")
        cur.close()

    def free(self) -> None:
        if self.mounted:
            self.path.unlink()
        elif self.capped:
            event.remove(self.store.engine, "connect", self._cap)
            self.store.engine.dispose()


@contextmanager
def _served(store: Store) -> Iterator[tuple[Watcher, httpx.Client]]:
    settings = load_settings(
        overlays=[{"watcher": {"poll_interval": "1s"}, "webhooks": {"max_body_bytes": MAX_BODY}}], user_file=False
    )
    watcher = Watcher(settings, store, Connectors())
    listener = Listener(watcher, "127.0.0.1").start()
    client = httpx.Client(base_url=listener.url, timeout=30)
    try:
        yield watcher, client
    finally:
        client.close()
        listener.stop()
        watcher.stop()


def _alert(n: int, k: int) -> dict[str, Any]:
    return {
        "status": "firing",
        "labels": {"alertname": "DiskFull", "service": f"comp{k}", "n": str(n)},
        "annotations": {"summary": f"notification {n} alert {k} " + "x" * 2000},
        "startsAt": "2026-12-07T21:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": f"disk-{n:04d}-{k}",
    }


def _body(n: int) -> bytes:
    alerts = [_alert(n, k) for k in range(ALERTS_PER_NOTIFICATION)]
    return json.dumps({"version": "4", "status": "firing", "receiver": "oncall", "alerts": alerts}).encode()


def _measure(mnt: Path, mounted: bool) -> dict[str, Any]:
    store = Store(f"sqlite:///{mnt / 'store.db'}")
    ballast = _Ballast(mnt, store, mounted)
    owed: set[str] = set()
    statuses: dict[str, int] = {}
    accepted = refused = accepted_while_full = 0
    health_full: list[str] = []
    try:
        with _served(store) as (watcher, client):
            ballast.take()

            def send(n: int) -> int:
                nonlocal accepted, refused
                try:
                    status = client.post("/webhooks/alertmanager", content=_body(n), headers=JSON_HEADERS).status_code
                except httpx.HTTPError as exc:
                    status = 0
                    statuses[type(exc).__name__] = statuses.get(type(exc).__name__, 0) + 1
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                if 200 <= status < 300:
                    accepted += ALERTS_PER_NOTIFICATION
                    owed.update(f"disk-{n:04d}-{k}" for k in range(ALERTS_PER_NOTIFICATION))
                else:
                    refused += ALERTS_PER_NOTIFICATION
                return status

            n = 0
            refused_ns: list[int] = []
            while n < 2_000:  # until the first refusal: the disk is full
                status = send(n)
                n += 1
                if not 200 <= status < 300:
                    refused_ns.append(n - 1)
                    break
            filled_after = n
            full_since = time.monotonic()
            for _ in range(SENDS_WHILE_FULL):
                status = send(n)
                if 200 <= status < 300:
                    accepted_while_full += 1
                else:
                    refused_ns.append(n)
                n += 1
                health_full.append(_health(client))
                time.sleep(max(0.0, FULL_FOR - (time.monotonic() - full_since)) / SENDS_WHILE_FULL)
            ballast.free()
            health_after = _health(client)
            resent_ok = sum(200 <= send(m) < 300 for m in refused_ns)  # Alertmanager's retries
            for _ in range(AFTER):
                send(n)
                n += 1
            _settle(watcher, lambda: _pending(store) == 0)
            with store.session() as s:
                rows = dict(s.execute(select(Alert.fingerprint, func.count()).group_by(Alert.fingerprint)).all())
                inbox = dict(s.execute(select(InboxItem.status, func.count()).group_by(InboxItem.status)).all())
                quarantined = s.scalar(select(func.count()).select_from(QuarantinedAlert)) or 0
    finally:
        store.close()
    lost = sum(1 for fp in owed if rows.get(fp, 0) == 0)
    duplicated = sum(c - 1 for c in rows.values() if c > 1)
    never = n * ALERTS_PER_NOTIFICATION - len(rows)
    problems = []
    if inbox.get(str(InboxStatus.failed)):
        problems.append(f"{inbox[str(InboxStatus.failed)]} inbox items failed")
    if never:
        problems.append(f"{never} sent alerts never stored")
    if any("not writable" not in h for h in health_full):
        problems.append(f"/healthz while full: {sorted(set(health_full))}")
    how = f"tmpfs {DISK}, ballast file" if mounted else "PRAGMA max_page_count (tmpfs could not be mounted)"
    return {
        "accepted": accepted,
        "refused": refused,
        "lost": lost,
        "duplicated": duplicated,
        "note": f"alerts; {how}; full after {filled_after} notifications of {ALERTS_PER_NOTIFICATION}, "
        f"{SENDS_WHILE_FULL} more sent while full ({accepted_while_full} answered 2xx), answers {statuses}; "
        f"/healthz while full: {_summary(health_full)}, after: {health_after}; {len(refused_ns)} refused "
        f"notifications re-sent after space returned ({resent_ok} 2xx), then {AFTER} new; "
        f"{len(rows)} alerts stored, {quarantined} quarantined; inbox {inbox}"
        + (f"; PROBLEMS: {problems}" if problems else ""),
    }


def _health(client: httpx.Client) -> str:
    try:
        answer = client.get("/healthz")
        return f"{answer.status_code} {answer.json().get('store', '?')}"
    except (httpx.HTTPError, ValueError) as exc:
        return f"no answer ({type(exc).__name__})"


def _summary(health: list[str]) -> str:
    counts: dict[str, int] = {}
    for h in health:
        key = h.split(":")[0]
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{k} x{v}" for k, v in counts.items())


def _pending(store: Store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(InboxItem).where(InboxItem.status == "pending")) or 0


def _settle(watcher: Watcher, done: Callable[[], bool], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            watcher.inbox.drain()
            if done():
                return
        except Exception:  # the store still refuses: try again
            pass
        time.sleep(0.2)
