"""The connector deadline bounds the whole call, status line and headers included (issue 10, point 4).

An upstream that drips its status line and headers a byte every 0.2 s never trips a read timeout, and
the client libraries read every header before any body reader runs: only a watchdog that cuts the
connection at the deadline ends such a call. Each client family is driven by its real library over
loopback; after a cut, the same client (and its connection pool) still talks to a healthy upstream.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import httpx2
import pytest
import requests
import urllib3
from kubernetes import client as k8s

from connectors.common.errors import ConnectorTimeout
from connectors.kubernetes.client import KubernetesConnector
from connectors.kubernetes.config import KubernetesConfig
from connectors.limits import (
    Clock,
    LimitedAdapter,
    LimitError,
    Limits,
    Watchdog,
    deadline_text,
    is_deadline,
    limited_transport,
)

DEADLINE = 1.0
LIMITS = Limits(deadline=DEADLINE, max_bytes=2**20)
EXPECTED = deadline_text(LIMITS, 0)
BOUND = DEADLINE + 4  # a call still running then is hung (today's clients run ~30 s): fail fast
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: " + b"p" * 400 + b"\r\n\r\n"
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class HeaderDrip:
    """An HTTP/1.1 upstream with keep-alive: answers ``{}`` at once, or, while ``drip`` is set and to
    a ``GET /drip``, sends its status line and headers one byte every ``interval`` seconds (for 30 s
    at 0.2 s a byte). Over TLS when given a server context."""

    def __init__(self, interval: float = 0.2, tls: ssl.SSLContext | None = None) -> None:
        self.interval, self.tls = interval, tls
        self.drip = False
        self.connections = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self._listener.close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            with self._lock:
                self._conns.add(conn)
            while not self._stop.is_set():
                head = b""
                while b"\r\n\r\n" not in head:
                    data = conn.recv(65536)
                    if not data:
                        return
                    head += data
                if not (self.drip or head.startswith(b"GET /drip")):
                    conn.sendall(OK)
                    continue
                for i in range(min(len(HEAD), int(30 / self.interval))):
                    if self._stop.wait(self.interval):
                        return
                    conn.sendall(HEAD[i : i + 1])
                return
        except OSError:
            return
        finally:
            with self._lock:
                self._conns.discard(conn)
            conn.close()


class SlowRelay:
    """Forwards TCP connections to ``port``, passing the upstream's bytes on one every 0.2 s: a TLS
    handshake that drips (the server's certificate alone takes minutes)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"https://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self) -> None:
        for sock in [self._listener, *self._sockets]:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.port))
            self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, 0.0), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, 0.2), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket, interval: float) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(1 if interval else 65536):
                time.sleep(interval)
                sink.sendall(data)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    """A server context with a throwaway self-signed certificate (the clients do not verify it)."""
    openssl = shutil.which("openssl") or pytest.skip("needs the openssl command to make a test certificate")
    where = tmp_path_factory.mktemp("tls")
    key, cert = where / "key.pem", where / "cert.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        + ["-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


@pytest.fixture
def upstream() -> Iterator[HeaderDrip]:
    server = HeaderDrip()
    yield server
    server.stop()


def timed(call: Callable[[], Any]) -> tuple[Any, BaseException | None, float]:
    """``call``'s result or error and its duration; the test fails if it runs past ``BOUND``."""
    box: dict[str, Any] = {}

    def target() -> None:
        started = time.monotonic()
        try:
            box["result"] = call()
        except BaseException as exc:
            box["error"] = exc
        box["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(BOUND)
    assert not thread.is_alive(), f"the call was still running after {BOUND:g} s"
    return box.get("result"), box.get("error"), box["seconds"]


def assert_cut(call: Callable[[], Any], upstream: HeaderDrip | None = None) -> BaseException:
    """``call`` (to a dripping upstream, or to ``upstream`` made to drip) fails at the deadline."""
    if upstream is not None:
        upstream.drip = True
    _, error, seconds = timed(call)
    if upstream is not None:
        upstream.drip = False
    assert error is not None, "a dripping head was accepted"
    assert EXPECTED in str(error), error
    assert DEADLINE - 0.1 < seconds < DEADLINE + 3  # slack for a loaded machine; today's clients take ~30 s
    return error


# One client per family, configured the way its connectors configure it; ``get(path)`` -> body.

_opened: list[Callable[[], None]] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    """Close every client a test made (a TLS socket left to the collector is a ResourceWarning)."""
    yield
    while _opened:
        _opened.pop()()


def requests_client(base: str, verify: bool = True) -> Callable[[str], bytes]:
    session = requests.Session()
    retry = urllib3.Retry(total=1, connect=1, read=False, status=0, backoff_factor=0.1)  # as Prometheus's
    session.mount(base, LimitedAdapter(LIMITS, max_retries=retry))
    _opened.append(session.close)
    return lambda path: session.get(base + path, timeout=5, verify=verify).content


def httpx_client(base: str, verify: bool = True) -> Callable[[str], bytes]:
    client = httpx.Client(base_url=base, transport=limited_transport(httpx, LIMITS, verify=verify), timeout=5)
    _opened.append(client.close)
    return lambda path: client.get(path).content


def httpx2_client(base: str, verify: bool = True) -> Callable[[str], bytes]:
    client = httpx2.Client(base_url=base, transport=limited_transport(httpx2, LIMITS, verify=verify), timeout=5)
    _opened.append(client.close)
    return lambda path: client.get(path).content


CLIENTS = [requests_client, httpx_client, httpx2_client]
Client = Callable[..., Callable[[str], bytes]]


@pytest.mark.parametrize("interval", [0.2, 0.01], ids=["in-the-status-line", "in-the-headers"])
@pytest.mark.parametrize("warm", [False, True], ids=["new-connection", "kept-alive-connection"])
@pytest.mark.parametrize("make", CLIENTS, ids=lambda f: f.__name__)
def test_a_dripping_head_is_cut_at_the_deadline(
    make: Client, warm: bool, interval: float, upstream: HeaderDrip
) -> None:
    get = make(upstream.url)
    upstream.interval = interval  # at 0.01 s a byte the cut falls inside a header line, which http.client
    if warm:  # would take for the end of the head, and the close for the end of an empty body
        assert get("/ok") == b"{}"
        assert upstream.connections == 1
    error = assert_cut(lambda: get("/ok"), upstream)
    assert isinstance(error, LimitError) and is_deadline(error) and error.bytes_read == 0
    assert get("/ok") == b"{}"  # the cut connection left the pool; a fresh one serves
    assert get("/ok") == b"{}"


def test_a_cut_is_a_timeout_to_requests_handlers(upstream: HeaderDrip) -> None:
    get = requests_client(upstream.url)
    assert isinstance(assert_cut(lambda: get("/drip"), upstream), requests.Timeout)


@pytest.mark.parametrize("make", CLIENTS, ids=lambda f: f.__name__)
def test_a_cut_ends_only_its_own_call(make: Client, upstream: HeaderDrip) -> None:
    """Calls of other threads through the same client and pool go on while one call is cut."""
    get = make(upstream.url)
    healthy: list[bytes] = []
    failed: list[BaseException] = []

    def others() -> None:
        end = time.monotonic() + DEADLINE + 0.5
        while time.monotonic() < end:
            try:
                healthy.append(get("/ok"))
            except BaseException as exc:  # noqa: BLE001 - asserted below
                failed.append(exc)
                return

    workers = [threading.Thread(target=others) for _ in range(3)]
    for worker in workers:
        worker.start()
    _, error, seconds = timed(lambda: get("/drip"))
    for worker in workers:
        worker.join(BOUND)
    assert EXPECTED in str(error) and seconds < DEADLINE + 3
    assert failed == [] and len(healthy) >= 3 and set(healthy) == {b"{}"}


@pytest.mark.parametrize("make", CLIENTS, ids=lambda f: f.__name__)
@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_over_tls_a_dripping_handshake_or_head_is_cut(make: Client, tls: ssl.SSLContext) -> None:
    upstream = HeaderDrip(tls=tls)
    relay = SlowRelay(upstream.port)
    try:
        get = make(upstream.url, verify=False)
        assert get("/ok") == b"{}"
        assert_cut(lambda: get("/drip"))
        assert_cut(lambda: make(relay.url, verify=False)("/ok"))
        assert get("/ok") == b"{}"
    finally:
        relay.stop()
        upstream.stop()


def test_the_kubernetes_connector_cuts_a_dripping_head(upstream: HeaderDrip) -> None:
    cfg = KubernetesConfig(
        host=upstream.url, timeout=timedelta(seconds=5), deadline=timedelta(seconds=DEADLINE), max_answer_bytes=2**20
    )
    connector = KubernetesConnector(cfg)
    try:
        assert connector.check().ok
        version = k8s.VersionApi(connector.api_client).get_code
        error = assert_cut(lambda: connector.http.json("GET /version", version), upstream)
        assert isinstance(error, ConnectorTimeout)
        assert connector.check().ok
        assert upstream.connections == 2  # one kept alive before the cut, one after
    finally:
        connector.close()


@pytest.mark.parametrize("make", CLIENTS, ids=lambda f: f.__name__)
def test_a_healthy_call_is_untouched_by_its_watchdog(make: Client, upstream: HeaderDrip) -> None:
    get = make(upstream.url)
    for _ in range(20):
        assert get("/ok") == b"{}"
    threading.Event().wait(DEADLINE + 0.2)  # every call's deadline has passed: no late cut of the kept connection
    assert get("/ok") == b"{}"
    assert upstream.connections == 1  # one connection kept alive throughout


def test_a_sooner_deadline_set_later_fires_first() -> None:
    late = Watchdog(Clock(Limits(deadline=30, max_bytes=1)))
    soon = Watchdog(Clock(Limits(deadline=0.3, max_bytes=1)))
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.settimeout(BOUND)
        soon.watch(ours, lambda: ours)
        started = time.monotonic()
        assert ours.recv(1) == b""  # the blocked receive returns: the socket was shut down
        assert 0.25 < time.monotonic() - started < 1
        assert soon.fired and soon.cut and not late.fired
    late.stop()


@pytest.mark.parametrize("end", ["stop", "release"])
def test_nothing_is_cut_once_the_call_is_over_or_its_connection_back_in_the_pool(end: str) -> None:
    dog = Watchdog(Clock(Limits(deadline=0.2, max_bytes=1)))
    ours, theirs = socket.socketpair()
    with ours, theirs:
        dog.watch(ours, lambda: ours)
        if end == "stop":
            dog.stop()
        else:
            dog.release(ours)
        threading.Event().wait(0.4)
        ours.settimeout(0.05)
        with pytest.raises(TimeoutError):  # still open: nothing to read, no end of stream
            ours.recv(1)
        assert not dog.cut
