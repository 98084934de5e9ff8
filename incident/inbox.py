"""The durable webhook inbox: a payload is committed before it is acknowledged, then processed.

The listener calls :meth:`Inbox.put` (one committed row, status ``pending``) and only then answers
2xx. One worker thread processes pending rows in arrival order (a resolve must not overtake its
firing); pending rows left by a crash are processed when the watcher starts. Processing is
idempotent, so a row processed again after a crash between intake and ``done`` changes nothing.

With several watchers on one store, each commits what it receives and one of them at a time
(the holder of the ``inbox`` lock) processes every pending row, so arrival order holds across
watchers too; the others retry the lock every :data:`CONTENDED_RETRY` seconds while rows wait.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from incident import webhooks
from incident.errors import WebhookError
from incident.models import InboxItem, InboxStatus, utcnow

if TYPE_CHECKING:
    from incident.watcher import Watcher

log = logging.getLogger(__name__)

CONTENDED_RETRY = 1.0
"""Seconds before asking again for the inbox lock another watcher held."""

MAX_ATTEMPTS = 5
"""A payload whose processing keeps failing (not a malformed one: those fail at once) is set aside.
Failures of the store itself (full, locked, unreachable) do not count: the payload is not at fault."""

STORE_TROUBLE = "store unavailable: "
"""Prefix of the error kept for an attempt the store failed (see :data:`MAX_ATTEMPTS`)."""


class Inbox:
    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._drain_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._contended = False

    def put(self, source: str, body: bytes) -> int:
        """Commit one payload; the caller may acknowledge it once this returns."""
        with self.watcher.store.session() as session:
            item = InboxItem(received_at=utcnow(), source=source, body=body, status=str(InboxStatus.pending))
            session.add(item)
            session.flush()
            item_id = item.id
        self._wake.set()
        return item_id

    def pending(self, after: int = 0) -> list[int]:
        with self.watcher.store.session() as session:
            return list(
                session.scalars(
                    select(InboxItem.id)
                    .where(InboxItem.status == str(InboxStatus.pending), InboxItem.id > after)
                    .order_by(InboxItem.id)
                )
            )

    def drain(self) -> int:
        """Process every pending payload in arrival order, including those committed meanwhile by
        any watcher; return how many were processed (0 when another watcher is draining)."""
        done = 0
        with self._drain_lock, self.watcher.coordination.exclusive("inbox") as mine:
            self._contended = not mine
            if not mine:
                return 0
            after = 0
            while not self._stop.is_set():
                batch = self.pending(after)
                if not batch:
                    break
                for item_id in batch:
                    if self._stop.is_set():
                        break
                    done += self._process(item_id)
                    after = item_id  # a failed row waits for the next drain, not a tight loop
        return done

    def _claim(self, item_id: int) -> tuple[str, bytes, int] | None:
        """Count the attempt before processing, so a payload that crashes the process is not retried
        forever; an attempt the store failed is not counted (it is given back)."""
        with self.watcher.store.session() as session:
            item = session.get(InboxItem, item_id)
            if item is None or item.status != str(InboxStatus.pending):
                return None
            source, body, seen = item.source, item.body, item.attempts or 0
            if (item.error or "").startswith(STORE_TROUBLE):
                seen = max(seen - 1, 0)
            claimed = session.execute(
                update(InboxItem)
                .where(InboxItem.id == item_id, InboxItem.attempts == item.attempts)
                .values(attempts=seen + 1)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return source, body, seen + 1

    def _process(self, item_id: int) -> int:
        claimed = self._claim(item_id)
        if claimed is None:
            return 0
        source, body, attempts = claimed
        if attempts > MAX_ATTEMPTS:
            self._finish(item_id, InboxStatus.failed, f"gave up after {MAX_ATTEMPTS} attempts")
            return 0
        try:
            webhooks.process(self.watcher, source, body)
        except WebhookError as exc:  # accepted once, refused now (e.g. stricter validation): never retried
            log.warning("inbox item %s refused: %s", item_id, exc.message)
            self._finish(item_id, InboxStatus.failed, exc.message)
            return 1
        except OperationalError as exc:  # the store, not the payload: retried without counting
            log.warning("inbox item %s waits: the store failed (%s)", item_id, exc.orig)
            self._finish(item_id, InboxStatus.pending, f"{STORE_TROUBLE}{exc.orig}")
            return 0
        except Exception as exc:
            log.exception("inbox item %s failed (attempt %s)", item_id, attempts)
            status = InboxStatus.failed if attempts >= MAX_ATTEMPTS else InboxStatus.pending
            self._finish(item_id, status, f"{type(exc).__name__}: {exc}")
            return 0
        self._finish(item_id, InboxStatus.done, None)
        return 1

    def _finish(self, item_id: int, status: InboxStatus, error: str | None) -> None:
        with self.watcher.store.session() as session:
            session.execute(
                update(InboxItem)
                .where(InboxItem.id == item_id)
                .values(
                    status=str(status), error=error, processed_at=None if status == InboxStatus.pending else utcnow()
                )
            )

    # ------------------------------------------------------------------ worker
    def start(self) -> None:
        """Start the worker (idempotent); it first processes what a previous run left pending."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._wake.set()
        self._thread = threading.Thread(target=self._run, name="inbox", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            idle = self.watcher.settings.watcher.poll_interval.total_seconds()
            self._wake.wait(timeout=min(idle, CONTENDED_RETRY) if self._contended else idle)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.drain()
            except Exception:  # the store is down: retried at the next wake-up
                log.exception("processing the inbox failed")

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
