"""The migrations on a fresh store and on older ones (0002; 0004 with alerts, on SQLite and PostgreSQL), and the
[actions] config section."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from connectors.base import AlertRecord
from incident.actions.types import names
from incident.config import load_settings
from incident.errors import ConfigError
from incident.models import Alert, Base, Incident
from incident.registry import Connectors
from incident.runbooks.params import ACTION_TYPES
from incident.store import HEAD_REVISION, MIGRATIONS, Store, make_engine
from incident.watcher import Watcher
from tests.conftest import postgres_url


def _schema_matches_models(store: Store) -> None:
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_fresh_store_and_a_0002_store_both_reach_the_head(tmp_path: Path) -> None:
    fresh = Store(f"sqlite:///{tmp_path / 'fresh.db'}")
    _schema_matches_models(fresh)
    fresh.close()

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
        conn.execute(
            text(
                "INSERT INTO incidents (dedup_key, source, title, status, page_at, opened_at)"
                " VALUES ('k', 'alertmanager', 't', 'triggered', '2026-01-13 14:07:00', '2026-01-13 14:07:00')"
            )
        )
    engine.dispose()
    old = Store(url)
    _schema_matches_models(old)
    with old.session() as s:
        assert s.execute(text("SELECT count(*) FROM incidents")).scalar() == 1
        s.execute(
            text(
                "INSERT INTO audit_log (at, incident_id, who, what, detail)"
                " VALUES ('2026-01-13 14:08:00', 1, 'a', 'approved', '{}')"
            )
        )
    with old.session() as s, pytest.raises(Exception, match="append-only"):
        s.execute(text("UPDATE audit_log SET who = 'b'"))
    old.close()


T1 = datetime(2025, 3, 3, 14, 5, tzinfo=UTC)


def _alert(fingerprint: str, service: str, starts_at: datetime, status: str = "firing") -> AlertRecord:
    return AlertRecord(
        source="alertmanager",
        fingerprint=fingerprint,
        name="HighErrorRatio",
        status=status,
        starts_at=starts_at,
        labels={"alertname": "HighErrorRatio", "service": service},
        ends_at=starts_at + timedelta(minutes=20) if status == "resolved" else None,
    )


def _alert_rows(store: Store) -> list[tuple[Any, ...]]:
    with store.session() as s:
        return [
            (a.id, a.incident_id, a.source, a.fingerprint, a.status, a.labels, a.starts_at, a.ends_at)
            for a in s.scalars(select(Alert).order_by(Alert.id))
        ]


def _ingest(store: Store, alerts: list[AlertRecord]) -> list[int]:
    watcher = Watcher(load_settings(user_file=False), store, Connectors())
    try:
        return watcher.ingest_alerts(alerts)
    finally:
        watcher.stop()


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
def test_a_0004_store_with_alerts_keeps_them_and_reaches_0005(backend: str, tmp_path: Path) -> None:
    url = postgres_url() if backend == "postgresql" else f"sqlite:///{tmp_path / 'at-0004.db'}"
    assert url
    engine = make_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        if backend == "postgresql":  # every run starts from an empty schema: the migrations run for real
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
        # today's models write the rows; the one column they have beyond 0004 exists only meanwhile
        conn.execute(text("ALTER TABLE incidents ADD COLUMN analysed_at TIMESTAMP"))
    engine.dispose()
    old = Store(url, migrate_on_open=False)
    [checkout, cart] = _ingest(old, [_alert("fp-a", "checkout", T1), _alert("fp-b", "cart", T1)])
    _ingest(old, [_alert("fp-a", "checkout", T1, "resolved")])
    before = _alert_rows(old)
    with old.engine.begin() as conn:
        conn.execute(text("ALTER TABLE incidents DROP COLUMN analysed_at"))
    old.close()
    assert len(before) == 2

    store = Store(url)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
        assert [(u["name"], u["column_names"]) for u in inspect(conn).get_unique_constraints("alerts")] == [
            ("uq_alerts_instance", ["source", "fingerprint", "starts_at"])
        ]
        if backend == "sqlite":
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    assert _alert_rows(store) == before
    # the migrated rows work under the new rules: a re-send updates, a firing after resolution opens anew
    assert _ingest(store, [_alert("fp-b", "cart", T1)]) == []
    [again] = _ingest(store, [_alert("fp-a", "checkout", T1 + timedelta(days=7))])
    assert again not in (checkout, cart)
    with store.session() as s:
        assert s.get(Incident, checkout).status == "resolved"  # type: ignore[union-attr]
        assert len(s.get(Incident, again).alerts) == 1  # type: ignore[union-attr]
    assert _alert_rows(store)[:2] == before
    store.close()


def test_actions_config_defaults_and_problems() -> None:
    assert tuple(ACTION_TYPES) == names() and len(names()) == 8
    cfg = load_settings(user_file=False).actions
    assert cfg.allowed_types == list(names()) and cfg.allowed_namespaces == ["*"]
    assert cfg.operator is None and cfg.timeout.total_seconds() == 30 and cfg.silence_max.total_seconds() == 4 * 3600
    with pytest.raises(ConfigError, match="did you mean 'kubernetes.scale'"):
        load_settings(overlays=[{"actions": {"allowed_types": ["kubernetes.scal"]}}], user_file=False)
