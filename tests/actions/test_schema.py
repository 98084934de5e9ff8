"""The 0003 migration on a fresh store and on one left at 0002, and the [actions] config section."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import text

from incident.config import ACTION_TYPE_NAMES, load_settings
from incident.errors import ConfigError
from incident.models import Base
from incident.runbooks.params import ACTION_TYPES
from incident.store import HEAD_REVISION, MIGRATIONS, Store, make_engine


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


def test_actions_config_defaults_and_problems() -> None:
    assert tuple(ACTION_TYPES) == ACTION_TYPE_NAMES
    cfg = load_settings(user_file=False).actions
    assert cfg.allowed_types == list(ACTION_TYPE_NAMES) and cfg.allowed_namespaces == ["*"]
    assert cfg.operator is None and cfg.timeout.total_seconds() == 30 and cfg.silence_max.total_seconds() == 4 * 3600
    with pytest.raises(ConfigError, match="did you mean 'kubernetes.scale'"):
        load_settings(overlays=[{"actions": {"allowed_types": ["kubernetes.scal"]}}], user_file=False)
