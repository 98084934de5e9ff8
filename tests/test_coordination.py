"""Several watchers on one store (issue 10, point 10): locks that die with their holder, one
leader, one watcher per incident and per inbox drain, catalog writes that do not race."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from connectors.base import ComponentInfo, GroupInfo
from incident.config import load_settings
from incident.coordination import Coordinator, FileLocks, LocalLocks, Locks, PostgresLocks, locks_for
from incident.models import Component, Group, InboxItem, Incident, TimelineEvent
from incident.registry import Connectors
from incident.store import Store
from incident.watcher import Watcher
from tests.conftest import postgres_url
from tests.test_webhooks import am_body

needs_postgres = [
    pytest.mark.postgres,
    pytest.mark.skipif(postgres_url() is None, reason="no PostgreSQL server: set INCIDENT_TEST_POSTGRES_URL"),
]


def fresh_postgres() -> str:
    url = postgres_url()
    assert url
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=needs_postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'shared.db'}" if request.param == "sqlite" else fresh_postgres()


def watcher(url: str) -> Watcher:
    """A watcher of its own (own engine, own locks) on a shared store, as another process has."""
    return Watcher(load_settings(user_file=False), Store(url), Connectors())


@pytest.fixture
def pair(store_url: str) -> Iterator[tuple[Watcher, Watcher]]:
    a, b = watcher(store_url), watcher(store_url)
    yield a, b
    for w in (a, b):
        w.stop()
        w.store.close()


# ---------------------------------------------------------------------- the locks
def test_locks_for_picks_the_backend(tmp_path: Path) -> None:
    assert isinstance(locks_for(create_engine(f"sqlite:///{tmp_path / 'x.db'}")), FileLocks)
    assert isinstance(locks_for(create_engine("sqlite://")), LocalLocks)


@pytest.mark.parametrize("make", [lambda p: FileLocks(p), lambda _p: LocalLocks()], ids=["file", "local"])
def test_a_lock_excludes_until_released(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    locks: Locks = make(tmp_path / "locks")
    held = locks.try_acquire("incident", 7)
    assert held is not None and held.alive()
    assert locks.try_acquire("incident", 7) is None  # another thread of the same process is excluded too
    other = locks.try_acquire("incident", 8)
    assert other is not None
    held.release()
    assert not held.alive()
    again = locks.try_acquire("incident", 7)
    assert again is not None
    again.release()
    other.release()


HOLD = """
import sys, time
from sqlalchemy import create_engine
from incident.coordination import Coordinator, locks_for
c = Coordinator(locks_for(create_engine(sys.argv[1])))
print("leader" if c.lead() else "follower", flush=True)
time.sleep(600)
"""


def _holder(url: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, url], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "leader"
    return proc


def test_leadership_passes_when_the_leader_is_killed(store_url: str) -> None:
    if store_url.startswith("sqlite"):
        Store(store_url).close()  # the file's directory exists
    proc = _holder(store_url)
    try:
        me = Coordinator(locks_for(create_engine(store_url)))
        assert not me.lead()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 10
        while not me.lead():
            assert time.monotonic() < deadline, "the lock outlived its holder"
            time.sleep(0.1)
        assert me.leading
        me.close()
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.postgres
@pytest.mark.skipif(postgres_url() is None, reason="no PostgreSQL server: set INCIDENT_TEST_POSTGRES_URL")
def test_a_leader_whose_connection_is_cut_stops_leading() -> None:
    url = fresh_postgres()
    engine = create_engine(url)
    first, second = Coordinator(PostgresLocks(engine)), Coordinator(PostgresLocks(engine))
    assert first.lead() and not second.lead()
    with engine.begin() as conn:  # what a network cut or an administrator does to the session
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND pid <> pg_backend_pid()"
            )
        )
    assert second.lead()  # the lock went with the session
    assert not first.lead()  # the old leader notices at its next tick and does not lead
    first.close()
    second.close()
    engine.dispose()


# ---------------------------------------------------------------------- watchers
def _open(w: Watcher, component: str = "checkout") -> int:
    body = am_body(service=component)
    body["alerts"][0]["fingerprint"] = f"fp-{component}"
    w.inbox.put("alertmanager", json.dumps(body).encode())
    w.inbox.drain()
    deadline = time.monotonic() + 30
    while True:  # the webhook's gathering (and analysis) runs in the background; let it finish
        with w.store.session() as s:
            incident = s.scalars(select(Incident).where(Incident.component == component)).one()
        if incident.gathered_at is not None:
            with w.coordination.exclusive("incident", incident.id) as free:
                if free:
                    return incident.id
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_one_watcher_leads(pair: tuple[Watcher, Watcher]) -> None:
    a, b = pair
    assert a.leading() and not b.leading()
    assert b.metrics.leader._value.get() == 0 and a.metrics.leader._value.get() == 1  # type: ignore[attr-defined]
    a.stop()  # a clean stop hands over too
    assert b.leading()


def test_an_incident_another_watcher_works_on_is_skipped(pair: tuple[Watcher, Watcher]) -> None:
    a, b = pair
    incident_id = _open(a)
    with a.coordination.exclusive("incident", incident_id) as mine:
        assert mine
        with b.store.session() as s:
            before = s.get(Incident, incident_id).gathered_at  # type: ignore[union-attr]
        assert b.gather(incident_id) == []
        assert b.complete_analyses() == []
        with b.store.session() as s:
            assert s.get(Incident, incident_id).gathered_at == before  # type: ignore[union-attr]
    b.gather(incident_id)
    with b.store.session() as s:
        assert s.get(Incident, incident_id).gathered_at > before  # type: ignore[union-attr,operator]


def test_the_inbox_is_drained_by_one_watcher_at_a_time_in_order(pair: tuple[Watcher, Watcher]) -> None:
    a, b = pair
    firing = am_body()
    resolved = am_body(status="resolved")
    with a.coordination.exclusive("inbox") as mine:
        assert mine
        b.inbox.put("alertmanager", json.dumps(firing).encode())
        a.inbox.put("alertmanager", json.dumps(resolved).encode())
        assert b.inbox.drain() == 0  # a holds the inbox: b leaves both rows pending
        with b.store.session() as s:
            assert s.scalar(select(func.count()).select_from(InboxItem).where(InboxItem.status == "pending")) == 2
    assert b.inbox.drain() == 2  # both, in arrival order across watchers: the resolve comes last
    with b.store.session() as s:
        assert [i.status for i in s.scalars(select(Incident))] == ["resolved"]


def test_the_inbox_worker_retries_soon_when_another_watcher_drains(pair: tuple[Watcher, Watcher]) -> None:
    a, b = pair
    b.inbox.start()
    b.inbox.drain()  # the worker's first drain may have run; now idle for a poll interval (1 min)
    with a.coordination.exclusive("inbox"):
        b.inbox.put("alertmanager", json.dumps(am_body()).encode())
        time.sleep(0.3)  # b's worker wakes, finds the lock taken
    deadline = time.monotonic() + 5
    while b.inbox.pending():
        assert time.monotonic() < deadline, "the row waited for the next poll interval"
        time.sleep(0.05)


def _catalog(w: Watcher, owner: str) -> None:
    w.catalog.components = {"checkout": ComponentInfo(name="checkout", owner=owner, depends_on=("payments",))}
    w.catalog.groups = {"team-a": GroupInfo(name="team-a", display_name="Team A", members=("ann",))}


def test_interleaved_catalog_writes_of_two_watchers_both_commit(pair: tuple[Watcher, Watcher]) -> None:
    """A select-then-insert (``Session.merge``) failed here: both saw no row, the second insert
    hit the primary key."""
    a, b = pair
    _catalog(a, "team-a")
    _catalog(b, "team-b")
    errors: list[BaseException] = []
    with a.store.session() as first:
        a._write_catalog(first)  # not committed yet

        def other() -> None:
            try:
                with b.store.session() as second:
                    b._write_catalog(second)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        time.sleep(0.5)  # b waits on a's row lock (PostgreSQL) or write lock (SQLite), or finished
    thread.join(60)
    assert errors == []
    with a.store.session() as s:
        assert s.get(Component, "checkout").owner in ("team-a", "team-b")  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(Group)) == 1


def test_the_timeline_written_twice_by_two_watchers_has_each_fact_once(pair: tuple[Watcher, Watcher]) -> None:
    a, b = pair
    incident_id = _open(a)
    a.gather(incident_id)
    b.gather(incident_id)
    with a.store.session() as s:
        ids = list(s.scalars(select(TimelineEvent.id).where(TimelineEvent.incident_id == incident_id)))
    assert ids and len(ids) == len(set(ids))
