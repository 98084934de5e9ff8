"""Coordination between watchers sharing one store: named locks that die with their holder.

Several ``incident watch`` processes may run on one PostgreSQL store. They agree through locks
that the database (or the kernel) releases the moment the holding process dies, so a kill -9
never leaves a lock behind and no lease has to expire:

- ``leader``: the one watcher that runs the scheduled polls and refreshes. The others try to take
  it at every poll tick, so when the leader dies another leads within one poll interval.
- ``incident`` + id: gathering and analysis of one incident, by one watcher at a time.
- ``inbox``: processing of acknowledged webhooks, in arrival order, by one watcher at a time.

PostgreSQL: session advisory locks, each on a connection of its own (closing the connection
releases the lock; TCP keepalives notice a vanished host). A SQLite file: ``flock`` on files
next to the database (the kernel releases them with the process). Anything else (an in-memory
store) is one process: thread locks.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)


class Held(Protocol):
    """A lock this process holds."""

    def alive(self) -> bool:
        """Whether the lock is still held (a PostgreSQL connection can be cut under it)."""
        ...

    def release(self) -> None: ...


class Locks(Protocol):
    def try_acquire(self, kind: str, key: int = 0) -> Held | None:
        """Take the lock ``(kind, key)`` without waiting; None when someone else holds it."""
        ...

    def close(self) -> None: ...


# ---------------------------------------------------------------------- PostgreSQL
def _int4(value: int) -> int:
    """Fold any integer into PostgreSQL's signed int4 (advisory locks take two of them)."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


class _PgHeld:
    def __init__(self, conn: Connection, keys: tuple[int, int]) -> None:
        self._conn = conn
        self._keys = keys
        self._released = False

    def alive(self) -> bool:
        if self._released:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            return True
        except Exception:  # the connection is gone, and with it the lock
            self.release()
            return False

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        try:
            self._conn.close()  # NullPool: the session ends, every advisory lock it held with it
        except Exception:
            log.debug("closing a lock connection failed", exc_info=True)


class PostgresLocks:
    """Session advisory locks, one connection per held lock (no pool: closing it releases)."""

    def __init__(self, engine: Engine) -> None:
        url = engine.url
        args = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3}
        if url.get_driver_name() != "psycopg2":
            args = {}
        self._engine = create_engine(url, poolclass=NullPool, connect_args=args)

    def try_acquire(self, kind: str, key: int = 0) -> Held | None:
        keys = (_int4(zlib.crc32(kind.encode())), _int4(key))
        conn = self._engine.connect()
        try:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:a, :b)"), {"a": keys[0], "b": keys[1]}).scalar()
            conn.commit()  # the session lock outlives the transaction; no transaction is left open
        except Exception:
            conn.close()
            raise
        if not got:
            conn.close()
            return None
        return _PgHeld(conn, keys)

    def close(self) -> None:
        self._engine.dispose()


# ---------------------------------------------------------------------- SQLite file
class _FileHeld:
    def __init__(self, fh: IO[str]) -> None:
        self._fh: IO[str] | None = fh

    def alive(self) -> bool:
        return self._fh is not None

    def release(self) -> None:
        if self._fh is not None:
            fh, self._fh = self._fh, None
            fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()


class FileLocks:
    """``flock`` on one file per lock in ``directory``; each acquisition opens its own file, so
    two threads of one process exclude each other as two processes do."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._dir.mkdir(parents=True, exist_ok=True)

    def try_acquire(self, kind: str, key: int = 0) -> Held | None:
        fh = (self._dir / f"{kind}-{key}.lock").open("a")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            return None
        return _FileHeld(fh)

    def close(self) -> None:
        return None


# ---------------------------------------------------------------------- one process
class _LocalHeld:
    def __init__(self, owner: LocalLocks, name: tuple[str, int]) -> None:
        self._owner = owner
        self._name: tuple[str, int] | None = name

    def alive(self) -> bool:
        return self._name is not None

    def release(self) -> None:
        if self._name is not None:
            name, self._name = self._name, None
            with self._owner.guard:
                self._owner.held.discard(name)


class LocalLocks:
    def __init__(self) -> None:
        self.guard = threading.Lock()
        self.held: set[tuple[str, int]] = set()

    def try_acquire(self, kind: str, key: int = 0) -> Held | None:
        with self.guard:
            if (kind, key) in self.held:
                return None
            self.held.add((kind, key))
        return _LocalHeld(self, (kind, key))

    def close(self) -> None:
        return None


def locks_for(engine: Engine) -> Locks:
    url = engine.url
    backend = url.get_backend_name()
    if backend == "postgresql":
        return PostgresLocks(engine)
    if backend == "sqlite" and url.database and url.database != ":memory:":
        return FileLocks(Path(url.database).expanduser().with_suffix(".locks"))
    return LocalLocks()


# ---------------------------------------------------------------------- roles
class Coordinator:
    """What a watcher asks of the others: am I the leader, may I work on this incident now."""

    def __init__(self, locks: Locks) -> None:
        self.locks = locks
        self._leader: Held | None = None
        self._guard = threading.Lock()

    def lead(self) -> bool:
        """Keep or take leadership; True when this process leads now. Called at every poll tick."""
        with self._guard:
            if self._leader is not None and not self._leader.alive():
                log.warning("lost the leader lock (store connection lost); polls stop here")
                self._leader = None
            if self._leader is None:
                try:
                    self._leader = self.locks.try_acquire("leader")
                except Exception as exc:  # the store is unreachable: nobody can lead from here
                    log.warning("cannot reach the store for the leader lock: %s", exc)
                    return False
                if self._leader is not None:
                    log.info("leading: the scheduled polls and refreshes run in this watcher")
            return self._leader is not None

    @property
    def leading(self) -> bool:
        return self._leader is not None

    @contextmanager
    def exclusive(self, kind: str, key: int = 0) -> Iterator[bool]:
        """Hold ``(kind, key)`` for the block; yields False (and holds nothing) when another
        watcher or thread has it, in which case that one is doing the work."""
        held = self.locks.try_acquire(kind, key)
        try:
            yield held is not None
        finally:
            if held is not None:
                held.release()

    def close(self) -> None:
        with self._guard:
            if self._leader is not None:
                self._leader.release()
                self._leader = None
        self.locks.close()
