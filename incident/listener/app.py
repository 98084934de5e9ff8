"""The listener's routes: both webhooks into the durable inbox, ``/healthz`` and ``/metrics``.

Every refusal happens before anything is written: authentication (401), content type (415), size
(413, from Content-Length or while streaming), body deadline (408), JSON depth and shape (400).
An accepted payload is committed to the inbox and only then answered 202.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import anyio
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import insert
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from incident import webhooks
from incident.errors import WebhookError
from incident.listener.auth import challenge, check_alertmanager_auth
from incident.listener.limits import check_content_type, check_json_depth, read_body
from incident.models import InboxItem, InboxStatus, utcnow

if TYPE_CHECKING:
    from incident.watcher import Watcher

log = logging.getLogger(__name__)
T = TypeVar("T")

HEALTH_TIMEOUT = 3.0
"""Seconds ``/healthz`` waits for the store's answer."""

_BODY_UNREAD = {401, 408, 413, 415}
"""Refusals answered before the body was read whole: the connection is closed after them."""


class WebhookApp:
    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher
        self.cfg = watcher.settings.webhooks
        self._limiter: anyio.CapacityLimiter | None = None
        self._health_limiter: anyio.CapacityLimiter | None = None
        self.app = Starlette(
            routes=[
                Route("/webhooks/alertmanager", self.alertmanager, methods=["POST"]),
                Route("/webhooks/pagerduty", self.pagerduty, methods=["POST"]),
                Route("/healthz", self.healthz, methods=["GET"]),
                Route("/metrics", self.metrics, methods=["GET"]),
            ]
        )

    async def _in_pool(self, fn: Callable[[], T]) -> T:
        """Blocking work (parsing, the store) on a bounded pool of ``[webhooks] workers`` threads."""
        if self._limiter is None:  # created inside the event loop
            self._limiter = anyio.CapacityLimiter(self.cfg.workers)
        return await anyio.to_thread.run_sync(fn, limiter=self._limiter)

    # ------------------------------------------------------------------ webhooks
    async def alertmanager(self, request: Request) -> Response:
        async def accept() -> Response:
            check_alertmanager_auth(request.headers.get("authorization"), self.cfg)
            body = await self._read_json(request)
            verdict = await self._in_pool(lambda: self._validated(body, webhooks.validate_alertmanager))
            return await self._commit(webhooks.ALERTMANAGER, body, verdict)

        return await self._answer("alertmanager", accept)

    async def pagerduty(self, request: Request) -> Response:
        async def accept() -> Response:
            body = await self._read_json(request)
            signature = request.headers.get("x-pagerduty-signature")
            webhooks.check_pagerduty_signature(body, signature, self.watcher.settings)
            verdict = await self._in_pool(lambda: self._validated(body, webhooks.validate_pagerduty))
            return await self._commit(webhooks.PAGERDUTY, body, verdict)

        return await self._answer("pagerduty", accept)

    async def _read_json(self, request: Request) -> bytes:
        check_content_type(request)
        return await read_body(
            request, limit=self.cfg.max_body_bytes, timeout=self.cfg.body_timeout.total_seconds()
        )

    def _validated(self, body: bytes, validate: Callable[[bytes], webhooks.Verdict]) -> webhooks.Verdict:
        check_json_depth(body, self.cfg.max_json_depth)
        try:
            return validate(body)
        except RecursionError:  # the depth scan should make this unreachable; never a 500
            raise WebhookError(f"JSON nested deeper than {self.cfg.max_json_depth} levels") from None

    async def _commit(self, source: str, body: bytes, verdict: webhooks.Verdict) -> Response:
        if not verdict.process:
            return JSONResponse({"status": "ignored", **verdict.summary})
        try:
            item_id = await self._in_pool(lambda: self.watcher.inbox.put(source, body))
        except Exception as exc:  # not acknowledged: the sender retries
            log.exception("committing a %s webhook failed", source)
            return JSONResponse({"error": f"store unavailable: {type(exc).__name__}"}, status_code=503)
        return JSONResponse({"status": "accepted", "inbox_id": item_id, **verdict.summary}, status_code=202)

    async def _answer(self, endpoint: str, accept: Callable[[], Awaitable[Response]]) -> Response:
        try:
            response = await accept()
        except WebhookError as exc:
            log.warning("refused %s webhook (%s): %s", endpoint, exc.status, exc.message)
            headers = {"connection": "close"} if exc.status in _BODY_UNREAD else {}
            if exc.status == 401 and endpoint == "alertmanager" and self.cfg.alertmanager_auth:
                headers["www-authenticate"] = challenge(self.cfg)
            response = JSONResponse({"error": exc.message}, status_code=exc.status, headers=headers)
        self.watcher.metrics.webhooks.labels(endpoint, str(response.status_code)).inc()
        return response

    # ------------------------------------------------------------------ health
    async def healthz(self, _request: Request) -> Response:
        if self._health_limiter is None:
            self._health_limiter = anyio.CapacityLimiter(1)
        body: dict[str, object] | None = None
        with anyio.move_on_after(HEALTH_TIMEOUT):  # a locked or hung store must not hang the probe
            body = await anyio.to_thread.run_sync(self._health, limiter=self._health_limiter, abandon_on_cancel=True)
        if body is None:
            body = {"status": "unavailable", "store": f"not writable: no answer within {HEALTH_TIMEOUT:g} s"}
        return JSONResponse(body, status_code=200 if body["store"] == "writable" else 503)

    def _health(self) -> dict[str, object]:
        """Store writability (a write rolled back) and the last outcome of each configured poll."""
        try:
            with self.watcher.store.engine.connect() as conn:
                conn.execute(
                    insert(InboxItem).values(
                        received_at=utcnow(), source="healthz", body=b"", status=str(InboxStatus.done), attempts=0
                    )
                )
                conn.rollback()
            store = self._disk_room() or "writable"
        except Exception as exc:
            store = f"not writable: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        sources = self.watcher.connectors
        configured = [n for n in ("alertmanager", "pagerduty") if getattr(sources, n) is not None]
        errors = dict(self.watcher.source_errors)
        polls = {name: errors.get(name, "ok") for name in configured}
        if store != "writable":
            status = "unavailable"
        elif any(v != "ok" for v in polls.values()):
            status = "degraded"
        else:
            status = "ok"
        return {"status": status, "store": store, "polls": polls}

    def _disk_room(self) -> str | None:
        """Why a SQLite file store cannot take a webhook of the largest accepted size, if it cannot.

        The probe write above is rolled back, so SQLite never writes it to disk: a full disk only
        shows in the free space of the file's filesystem.
        """
        url = self.watcher.store.engine.url
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return None
        try:
            fs = os.statvfs(os.path.dirname(os.path.abspath(url.database)))
        except OSError:
            return None
        free = fs.f_bavail * fs.f_frsize
        if free >= self.cfg.max_body_bytes:
            return None
        return f"not writable: {free} bytes free on the store's filesystem (webhooks up to {self.cfg.max_body_bytes})"

    async def metrics(self, _request: Request) -> Response:
        payload = await self._in_pool(self.watcher.metrics.render)
        return Response(payload, media_type=CONTENT_TYPE_LATEST)
