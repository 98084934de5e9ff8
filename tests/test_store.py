from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from incident.errors import StoreError
from incident.models import Incident, TimelineEvent
from incident.store import HEAD_REVISION, Store
from incident.timeline import log_event, timeline
from tests.conftest import postgres_url

PAGE = datetime(2026, 1, 10, 14, 5, tzinfo=UTC)


def _incident(store: Store, key: str = "alertmanager:checkout:abc") -> int:
    with store.session() as s:
        inc = Incident(dedup_key=key, source="alertmanager", title="High errors", component="checkout", page_at=PAGE)
        s.add(inc)
        s.flush()
        return inc.id


def test_sqlite_default_is_wal_and_migrated(store: Store) -> None:
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION


def test_times_round_trip_timezone_aware(store: Store) -> None:
    iid = _incident(store)
    with store.session() as s:
        inc = s.get(Incident, iid)
        assert inc is not None and inc.page_at == PAGE and inc.page_at.tzinfo is not None


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(Exception, match="naive datetime"), store.session() as s:
        s.add(Incident(dedup_key="x", source="a", title="t", page_at=datetime(2026, 1, 1)))
        s.flush()


def test_timeline_writes_are_idempotent(store: Store) -> None:
    iid = _incident(store)
    for value in ("1%", "11%"):
        with store.session() as s:
            log_event(
                s,
                incident_id=iid,
                kind="metric_change",
                key="metric/checkout/error_ratio",
                at=PAGE - timedelta(minutes=2),
                source="prometheus",
                summary=f"error ratio -> {value}",
            )
    with store.session() as s:
        events = timeline(s, iid)
    assert len(events) == 1 and events[0].summary.endswith("11%")


def test_reopening_an_existing_store_is_a_noop(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    Store(url).close()
    s = Store(url)
    with s.session() as session:
        assert session.scalar(select(func.count()).select_from(Incident)) == 0


def test_bad_url_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="not a database URL"):
        Store("nonsense://")


def _writer(url: str, iid: int, worker: int) -> None:
    store = Store(url)
    for n in range(50):
        with store.session() as s:
            log_event(s, incident_id=iid, kind="note", key=f"w{worker}/{n}", at=PAGE, source="t", summary="x")
            log_event(s, incident_id=iid, kind="note", key="shared", at=PAGE, source="t", summary=f"{worker}")
    store.close()


def test_two_processes_write_one_sqlite_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    store = Store(url)
    iid = _incident(store)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(url, iid, w)) for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(TimelineEvent)) == 101


@pytest.mark.postgres
@pytest.mark.skipif(postgres_url() is None, reason="no PostgreSQL server: set INCIDENT_TEST_POSTGRES_URL")
def test_postgresql_store_migrates_and_upserts() -> None:
    url = postgres_url()
    assert url
    from sqlalchemy import create_engine

    fresh = create_engine(url)  # every run starts from an empty schema: migrations run for real
    with fresh.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    fresh.dispose()
    store = Store(url)
    iid = _incident(store, key="pg-test")
    for summary in ("a", "b"):
        with store.session() as s:
            log_event(s, incident_id=iid, kind="note", key="k", at=PAGE, source="t", summary=summary)
    with store.session() as s:
        events = timeline(s, iid)
        assert [e.summary for e in events] == ["b"]
        assert s.get(Incident, iid).page_at == PAGE  # type: ignore[union-attr]
    store.close()


def _open(url: str) -> None:
    Store(url).close()


def test_processes_opening_a_new_store_together_migrate_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'race.db'}"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_open, args=(url,)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    with Store(url).engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1


@pytest.mark.parametrize(
    "backend",
    [
        "sqlite",
        pytest.param(
            "postgresql",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(
                    postgres_url() is None, reason="no PostgreSQL server: set INCIDENT_TEST_POSTGRES_URL"
                ),
            ],
        ),
    ],
)
def test_0006_chains_the_audit_rows_already_there_and_adds_the_trust_tables(backend: str, tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    from incident.actions.chain import fields, verify
    from incident.models import AuditEntry, InboxItem, QuarantinedAlert
    from incident.store import MIGRATIONS, make_engine

    url = postgres_url() if backend == "postgresql" else f"sqlite:///{tmp_path / 'at-0005.db'}"
    assert url
    engine = make_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        if backend == "postgresql":  # every run starts from an empty schema: the migrations run for real
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0005")
        for who in ("alice", "bob", "carol"):
            conn.execute(
                text(
                    "INSERT INTO audit_log (at, incident_id, action_id, who, what, detail)"
                    " VALUES ('2026-01-13 14:08:00.250000', 1, 'ac_x', :who, 'approved', '{\"params\": {\"n\": 2}}')"
                ),
                {"who": who},
            )
    engine.dispose()

    store = Store(url)
    with store.session() as s:
        rows = list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        assert [r.who for r in rows] == ["alice", "bob", "carol"]
        assert rows[0].prev_hash is None and all(r.row_hash for r in rows)
        assert [r.prev_hash for r in rows[1:]] == [r.row_hash for r in rows[:-1]]
        checked, broken = verify([fields(r) for r in rows])
        assert (checked, broken) == (3, None)
        s.add(QuarantinedAlert(source="alertmanager", channel="poll", reason="labels.alertname: missing", raw="{}"))
        s.add(InboxItem(source="alertmanager", body=b"\x00{}"))
    with store.session() as s:
        inbox = s.scalars(select(InboxItem)).one()
        assert (inbox.body, inbox.status, inbox.attempts) == (b"\x00{}", "pending", 0)
        assert s.scalars(select(QuarantinedAlert)).one().fingerprint is None
    with store.engine.connect() as conn:
        assert "approval_digest" in {c["name"] for c in inspect(conn).get_columns("actions")}
    if backend == "sqlite":  # REPLACE deletes without firing the delete trigger: refused before it can
        with store.session() as s, pytest.raises(Exception, match="append-only"):
            s.execute(
                text(
                    "INSERT OR REPLACE INTO audit_log (id, at, incident_id, who, what, detail)"
                    " VALUES (1, '2026-01-13 14:08:00', 1, 'mallory', 'approved', '{}')"
                )
            )
    with store.session() as s, pytest.raises(Exception, match="append-only"):
        s.execute(text("UPDATE audit_log SET who = 'mallory'"))
    store.close()
