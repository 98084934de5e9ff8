"""The store: engine creation (SQLite in WAL mode by default), migrations, sessions.

Many processes share one store (a watcher and any number of TUIs), so SQLite runs in WAL
mode with a generous busy timeout, and every migration runs under Alembic on start.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from incident.errors import StoreError
from incident.redact import mask_url, mask_urls_in

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; a SQLite file's directory is created when missing."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with a terse message (that echoes the URL)
        raise StoreError(f"not a database URL: {mask_url(url)!r} ({mask_urls_in(str(exc), url)})") from None
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(url, **kwargs)
    except Exception as exc:  # unknown dialect, missing driver
        raise StoreError(f"not a database URL: {mask_url(url)!r} ({mask_urls_in(str(exc), url)})") from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise migrations across processes: a watcher and a TUI may open a new store together."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        lock_path = Path(url.database).expanduser().with_suffix(".migrate.lock")
        with lock_path.open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    elif url.get_backend_name() == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(7219011)"))
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(7219011)"))
                conn.commit()
    else:
        yield


HEAD_REVISION = "0007"
"""The schema version this code writes (the newest Alembic revision)."""


def migrate(engine: Engine) -> None:
    """Apply every Alembic migration up to head (a no-op when already there)."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with _migration_lock(engine), engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except SQLAlchemyError as exc:
        raw = engine.url.render_as_string(hide_password=False)
        raise StoreError(f"cannot migrate {mask_url(raw)}: {mask_urls_in(str(exc), raw)}") from exc


class Store:
    """An engine plus a session factory; the caller of :meth:`session` owns the transaction."""

    def __init__(self, url: str, *, migrate_on_open: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        if migrate_on_open:
            migrate(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def close(self) -> None:
        self.engine.dispose()
