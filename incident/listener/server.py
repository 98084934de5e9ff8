"""uvicorn serving the listener in a background thread of the watcher process."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from incident.config import WebhooksConfig
from incident.errors import ConfigError
from incident.listener.app import WebhookApp

if TYPE_CHECKING:
    from incident.watcher import Watcher

log = logging.getLogger(__name__)

MAX_HEADER_BYTES = 16 * 1024


def is_loopback(host: str) -> bool:
    """True when every address ``host`` names is a loopback address."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


def check_exposure(host: str, cfg: WebhooksConfig) -> None:
    """Refuse to listen beyond loopback with an unauthenticated Alertmanager endpoint."""
    if cfg.alertmanager_auth or is_loopback(host):
        return
    raise ConfigError(
        f"--listen {host}: the Alertmanager webhook would accept anyone who can reach {host}. "
        "Set [webhooks] alertmanager_bearer_token (Alertmanager: http_config.authorization.credentials) "
        "or alertmanager_basic_user and alertmanager_basic_password (http_config.basic_auth), "
        "or listen on 127.0.0.1 behind an authenticating proxy."
    )


def _protocol(header_timeout: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol with a deadline on request headers (uvicorn has none: a client
    sending a byte a second would hold its connection for as long as it likes)."""

    class HeaderDeadlineProtocol(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def _arm(self) -> None:
            if self._header_timer is None:
                self._header_timer = self.loop.call_later(header_timeout, self._headers_late)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_late(self) -> None:
            self._header_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                log.warning("listener: %s sent no complete request headers within %g s", self.client, header_timeout)
                self.transport.close()

        def data_received(self, data: bytes) -> None:
            if self.conn.their_state is h11.IDLE:
                self._arm()  # a new request begins (or continues) on this connection
            super().data_received(data)

        def on_response_complete(self) -> None:
            self._disarm()
            super().on_response_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return HeaderDeadlineProtocol


def _bind(host: str, port: int, backlog: int) -> socket.socket:
    """A listening TCP socket. ``proto`` is given explicitly: asyncio sets TCP_NODELAY on accepted
    connections only for sockets that say IPPROTO_TCP, and without it every keep-alive answer
    waits 40 ms for the client's delayed ACK."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


class Listener:
    """The webhook listener of one watcher; ``start`` binds (errors raise here) and serves in a thread."""

    def __init__(self, watcher: Watcher, host: str = "127.0.0.1", port: int = 0) -> None:
        self.watcher = watcher
        self.host, self.port = host, port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        if self._socket is None:
            raise RuntimeError("listener is not started")
        host, port = self._socket.getsockname()[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def start(self, *, wait: float = 10.0) -> Listener:
        cfg = self.watcher.settings.webhooks
        check_exposure(self.host, cfg)
        self._socket = _bind(self.host.strip("[]"), self.port, cfg.backlog)
        config = uvicorn.Config(
            WebhookApp(self.watcher).app,
            http=_protocol(cfg.header_timeout.total_seconds()),
            loop="asyncio",
            lifespan="off",
            limit_concurrency=cfg.max_connections,
            backlog=cfg.backlog,
            timeout_keep_alive=max(1, int(cfg.keep_alive.total_seconds())),
            h11_max_incomplete_event_size=MAX_HEADER_BYTES,
            timeout_graceful_shutdown=5,
            server_header=False,
            access_log=False,
            log_config=None,
        )
        self._server = uvicorn.Server(config)
        self.watcher.inbox.start()
        sockets = [self._socket]
        self._thread = threading.Thread(target=self._serve, args=(sockets,), name="listener", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + wait
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the webhook listener on {self.host}:{self.port} did not start")
            time.sleep(0.01)
        return self

    def _serve(self, sockets: list[socket.socket]) -> None:
        assert self._server is not None
        self._server.run(sockets=sockets)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self._server = None

    def __enter__(self) -> Listener:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
