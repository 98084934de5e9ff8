"""A tiny routed HTTP/1.1 JSON server on loopback, the base of every stand-in.

Stand-ins register ``(method, regex)`` routes; a handler gets a :class:`Request` and returns a
:class:`Response` (or a JSON-able value for 200). The server runs in a daemon thread on
``127.0.0.1`` and an ephemeral port unless one is given.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    """Named groups of the matched route."""

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def args(self, name: str) -> list[str]:
        return self.query.get(name, []) + self.query.get(f"{name}[]", [])

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int = 200
    body: Any = None
    """JSON-able value, or bytes/str sent as is with ``content_type``."""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Any]


class StandInServer:
    """Routes plus a threaded HTTP server; subclasses add routes in ``__init__``."""

    name = "stand-in"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.requests: list[tuple[str, str]] = []
        """(method, path) of every request served, for tests."""
        self.delay_seconds = 0.0
        """Sleep this long before answering (tests of slow connectors and timeouts)."""
        self._host, self._port = host, port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method.upper(), re.compile(f"^{pattern}$"), handler))

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{self.name} is not started")
        host, port = self._server.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self) -> StandInServer:
        stand_in = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out in two writes; without this a small answer waits for the
            # client's delayed ACK (40 ms on Linux). Real API servers set TCP_NODELAY too.
            disable_nagle_algorithm = True

            def setup(self) -> None:
                super().setup()
                with stand_in._conn_lock:
                    stand_in._connections.add(self.connection)

            def finish(self) -> None:
                with stand_in._conn_lock:
                    stand_in._connections.discard(self.connection)
                super().finish()

            def log_message(self, fmt: str, *args: Any) -> None:
                log.debug("%s: " + fmt, stand_in.name, *args)

            def _dispatch(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                stand_in.requests.append((self.command, parts.path))
                if stand_in.delay_seconds:
                    time.sleep(stand_in.delay_seconds)
                self._send(stand_in.dispatch(request))

            def _send(self, response: Response) -> None:
                body = response.body
                if isinstance(body, bytes):
                    payload = body
                elif isinstance(body, str) and response.content_type != "application/json":
                    payload = body.encode()
                else:
                    payload = json.dumps(body, default=str).encode()
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(payload)))
                for key, value in response.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch

        self._server = ThreadingHTTPServer((self._host, self._port), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=self.name, daemon=True)
        self._thread.start()
        return self

    def dispatch(self, request: Request) -> Response:
        allowed = False
        for method, pattern, handler in self.routes:
            match = pattern.match(request.path)
            if not match:
                continue
            allowed = True
            if method != request.method and not (method == "GET" and request.method == "HEAD"):
                continue
            request.params = match.groupdict()
            try:
                result = handler(request)
            except Exception as exc:  # a stand-in bug must answer 500, not hang the client
                log.exception("%s: handler failed", self.name)
                return Response(500, {"error": f"{type(exc).__name__}: {exc}"})
            return result if isinstance(result, Response) else Response(200, result)
        if allowed:
            return Response(405, {"error": f"method {request.method} not allowed on {request.path}"})
        return Response(404, {"error": f"no route for {request.method} {request.path}"})

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._conn_lock:  # keep-alive connections would otherwise go on being served
            for conn in list(self._connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            self._connections.clear()

    def __enter__(self) -> StandInServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
