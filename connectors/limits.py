"""Limits every connector request runs under: a wall-clock deadline and a cap on the answer's size.

Client libraries only time single reads: an upstream that drips a byte a second never trips them,
and an answer is read whole before anyone looks at its size. Here each request's connect and read
timeouts are lowered to what is left of its deadline, and the body is read as it arrives, chunk by
chunk, checking the clock and the byte count after each one, and a
:class:`Watchdog` shuts the call's socket down when the deadline passes, whatever phase the call is
in (an upstream that drips its status line and headers is cut too: the client libraries read every
header before the body reader runs), so a call ends at its deadline and never holds more than the cap.

One way in per client family: :class:`LimitedAdapter` for ``requests`` (Prometheus),
:func:`read_limited` for ``urllib3`` responses (Kubernetes), :func:`limited_transport` for
``httpx`` and its fork ``httpx2`` (Alertmanager, Backstage, PagerDuty).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter

from connectors.watchdog import SLACK, Watchdog

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    deadline: float
    """Seconds from sending the request to the answer's last byte."""
    max_bytes: int
    """Largest answer body accepted (bytes, after content decoding)."""

    @classmethod
    def of(cls, cfg: Any) -> Limits:
        """From a connector config section with ``deadline`` and ``max_answer_bytes``."""
        return cls(cfg.deadline.total_seconds(), cfg.max_answer_bytes)


class LimitError(Exception):
    """Mixin of every limit failure; ``bytes_read`` is how much of the answer had been read."""

    bytes_read: int = 0
    deadline: bool = False
    """True for the deadline, False for the size cap."""


def _size(n: int) -> str:
    if n >= 2**20:
        return f"{n / 2**20:.1f} MiB"
    return "1 byte" if n == 1 else f"{n} bytes"


def deadline_text(limits: Limits, read: int) -> str:
    return f"no complete answer within the {limits.deadline:g} s deadline ({_size(read)} read)"


def too_large_text(limits: Limits, read: int, declared: int | None = None) -> str:
    what = f"declared {_size(declared)}" if declared is not None else f"more than {_size(read)} read"
    return f"answer larger than the {_size(limits.max_bytes)} cap ({what}); request a narrower range"


class Clock:
    """One request's budget: time left and bytes read so far."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.end = time.monotonic() + limits.deadline
        self.read = 0

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def cap(self, timeout: float | None) -> float:
        """A connect or read timeout no longer than what is left (never zero: that means blocking)."""
        left = max(0.001, self.remaining())
        return left if timeout is None else max(0.001, min(timeout, left))

    def declared(self, content_length: str | None) -> int | None:
        """The Content-Length when it already exceeds the cap (refused before reading), else None."""
        try:
            size = int(content_length) if content_length else None
        except ValueError:
            return None
        return size if size is not None and size > self.limits.max_bytes else None

    def took(self, n: int) -> str | None:
        """Count ``n`` more bytes; the reason to stop (cap or deadline), or None to go on."""
        self.read += n
        if self.read > self.limits.max_bytes:
            return "size"
        if n and time.monotonic() > self.end:
            return "deadline"
        return None


# --------------------------------------------------------------------------- urllib3 / requests


class DeadlineExceeded(requests.Timeout, LimitError):
    """A requests/urllib3 call past its deadline (a ``requests.Timeout``, so handlers see a timeout)."""

    deadline = True


class AnswerTooLarge(requests.RequestException, LimitError):
    """A requests/urllib3 answer larger than the cap."""


def _fail(cls: type[LimitError], message: str, read: int) -> LimitError:
    exc = cls(message)
    exc.bytes_read = read
    return exc


def read_limited(read1: Callable[[int], bytes], clock: Clock, content_length: str | None = None) -> bytes:
    """The whole body from ``read1`` (returns what one receive brought, ``b""`` at the end)."""
    declared = clock.declared(content_length)
    if declared is not None:
        raise _fail(AnswerTooLarge, too_large_text(clock.limits, 0, declared), 0)
    parts: list[bytes] = []
    while True:
        try:
            chunk = read1(CHUNK)
        except urllib3.exceptions.TimeoutError:
            if clock.remaining() > SLACK:
                raise  # the configured read timeout, well inside the deadline
            raise _fail(DeadlineExceeded, deadline_text(clock.limits, clock.read), clock.read) from None
        if not chunk:
            break
        stop = clock.took(len(chunk))
        if stop == "size":
            raise _fail(AnswerTooLarge, too_large_text(clock.limits, clock.read), clock.read)
        if stop == "deadline":
            raise _fail(DeadlineExceeded, deadline_text(clock.limits, clock.read), clock.read)
        parts.append(chunk)
    return b"".join(parts)


@contextmanager
def watched(clock: Clock, request: requests.PreparedRequest | None = None) -> Iterator[Watchdog]:
    """Run a requests/urllib3 call (sent through pools made by :func:`watch_pools`) under a
    :class:`Watchdog`: any failure after the deadline passed, or an answer read from a cut
    connection, becomes :class:`DeadlineExceeded`."""
    dog = Watchdog(clock)

    def deadline() -> LimitError:
        exc = _fail(DeadlineExceeded, deadline_text(clock.limits, clock.read), clock.read)
        exc.request = request  # type: ignore[attr-defined]
        return exc

    try:
        with dog.active():
            yield dog
    except LimitError:
        raise
    except Exception as exc:
        if dog.ended(exc):
            raise deadline() from exc
        raise
    finally:
        dog.stop()
    if dog.cut:  # http.client takes a head cut mid-line for a complete one, and an empty body for the end
        raise deadline()


class _WatchedPool(urllib3.HTTPConnectionPool):
    """Reports the connection it lends to the calling thread's :class:`Watchdog`; once the deadline
    has passed it refuses the call's retries and redirects (mixed into a manager's pool classes)."""

    def urlopen(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        dog = Watchdog.current()
        if dog is not None and dog.fired:
            raise urllib3.exceptions.TimeoutError("the call's deadline has passed")
        return super().urlopen(method, url, *args, **kwargs)

    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)
        dog = Watchdog.current()
        if dog is not None:
            dog.watch(conn, lambda: getattr(conn, "sock", None))
        return conn

    def _put_conn(self, conn: Any) -> None:
        dog = Watchdog.current()
        if dog is not None and conn is not None:
            dog.release(conn)
        super()._put_conn(conn)


@cache
def _watched_pool(cls: type[urllib3.HTTPConnectionPool]) -> type[urllib3.HTTPConnectionPool]:
    if issubclass(cls, _WatchedPool):
        return cls
    return type(f"Watched{cls.__name__}", (_WatchedPool, cls), {})


def watch_pools(manager: urllib3.PoolManager) -> None:
    """Make ``manager`` (also a proxy or SOCKS manager) build pools that report to :class:`Watchdog`.
    Pools it already holds are dropped (idle connections close)."""
    watched_classes = {scheme: _watched_pool(cls) for scheme, cls in manager.pool_classes_by_scheme.items()}
    if watched_classes != manager.pool_classes_by_scheme:
        manager.pool_classes_by_scheme = watched_classes
        manager.clear()


class LimitedAdapter(HTTPAdapter):
    """A requests transport adapter that applies :class:`Limits` to every request it sends."""

    def __init__(self, limits: Limits, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.limits = limits

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        watch_pools(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        watch_pools(manager)
        return manager

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, **kwargs: Any
    ) -> requests.Response:
        clock = Clock(self.limits)
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        with watched(clock, request):
            response = super().send(request, stream=True, timeout=(clock.cap(connect), clock.cap(read)), **kwargs)
            try:
                body = read_limited(
                    lambda n: response.raw.read1(n, decode_content=True), clock, response.headers.get("Content-Length")
                )
            except LimitError as exc:
                response.close()
                exc.request = request  # type: ignore[attr-defined]
                raise
            except urllib3.exceptions.ReadTimeoutError as exc:  # as requests' own body reading maps them
                response.close()
                raise requests.ReadTimeout(exc, request=request) from exc
            except urllib3.exceptions.HTTPError as exc:
                response.close()
                raise requests.ConnectionError(exc, request=request) from exc
            finally:
                response.raw.release_conn()
        response._content = body  # what requests itself sets when it reads the body
        response._content_consumed = True
        return response


# --------------------------------------------------------------------------- httpx / httpx2


class _WatchedStream:
    """An httpcore network stream that reports itself to the calling thread's :class:`Watchdog` on
    every read and write: a kept-alive connection has no connect event to learn its socket from."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def _report(self) -> None:
        dog = Watchdog.current()
        if dog is not None:
            dog.watch(self._inner, lambda: self._inner.get_extra_info("socket"))

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self._report()
        data: bytes = self._inner.read(max_bytes, timeout)
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._report()
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
        self._report()  # a handshake dripped a byte at a time is cut too
        return _WatchedStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _WatchedBackend:
    """An httpcore network backend whose streams are :class:`_WatchedStream`."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def connect_tcp(self, *args: Any, **kwargs: Any) -> _WatchedStream:
        return _WatchedStream(self._inner.connect_tcp(*args, **kwargs))

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> _WatchedStream:
        return _WatchedStream(self._inner.connect_unix_socket(*args, **kwargs))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


@cache
def _httpx_classes(mod: ModuleType) -> tuple[type, type, type, type]:
    """Transport, stream and the two errors for one httpx-like module (``httpx`` or ``httpx2``).

    The errors are ``HTTPError`` but not transport errors: they are not transient, and a client
    that retries transport errors (PagerDuty's) must not spend a second deadline on them."""

    class DeadlineExceeded(mod.HTTPError, LimitError):  # type: ignore[name-defined,misc]
        """No complete answer within the deadline."""

        deadline = True

    class AnswerTooLarge(mod.HTTPError, LimitError):  # type: ignore[name-defined,misc]
        """Answer larger than the cap."""

    def fail(cls: type, message: str, read: int, request: Any) -> Exception:
        exc = cls(message)
        exc.request = request
        exc.bytes_read = read
        return exc  # type: ignore[no-any-return]

    def deadline(clock: Clock, request: Any) -> Exception:
        return fail(DeadlineExceeded, deadline_text(clock.limits, clock.read), clock.read, request)

    class LimitedStream(mod.SyncByteStream):  # type: ignore[name-defined,misc]
        def __init__(self, inner: Any, clock: Clock, request: Any, dog: Watchdog) -> None:
            self.inner, self.clock, self.request, self.dog = inner, clock, request, dog

        def __iter__(self) -> Iterator[bytes]:
            try:
                for chunk in self.inner:
                    stop = self.clock.took(len(chunk))
                    if stop == "size":
                        read = self.clock.read
                        raise fail(AnswerTooLarge, too_large_text(self.clock.limits, read), read, self.request)
                    if stop == "deadline":
                        raise deadline(self.clock, self.request)
                    yield chunk
            except LimitError:
                raise
            except Exception as exc:
                if self.dog.ended(exc, mod.TimeoutException):
                    raise deadline(self.clock, self.request) from exc
                raise
            self.dog.stop()
            if self.dog.cut:  # a body read until the connection closes ends early when cut
                raise deadline(self.clock, self.request)

        def close(self) -> None:
            self.dog.stop()
            self.inner.close()

    class LimitedTransport(mod.BaseTransport):  # type: ignore[name-defined,misc]
        def __init__(self, inner: Any, limits: Limits) -> None:
            self.inner, self.limits = inner, limits

        def handle_request(self, request: Any) -> Any:
            clock = Clock(self.limits)
            dog = Watchdog(clock)
            timeouts = dict(request.extensions.get("timeout") or {})
            request.extensions["timeout"] = {
                k: clock.cap(timeouts.get(k)) for k in ("connect", "read", "write", "pool")
            }
            try:
                with dog.active():
                    response = self.inner.handle_request(request)
            except Exception as exc:
                dog.stop()
                if dog.ended(exc, mod.TimeoutException):
                    raise deadline(clock, request) from exc
                raise
            declared = clock.declared(response.headers.get("Content-Length"))
            if declared is not None:
                dog.stop()
                response.close()
                raise fail(AnswerTooLarge, too_large_text(self.limits, 0, declared), 0, request)
            return mod.Response(
                status_code=response.status_code,
                headers=response.headers,
                stream=LimitedStream(response.stream, clock, request, dog),
                extensions=response.extensions,
            )

        def close(self) -> None:
            self.inner.close()

    return LimitedTransport, LimitedStream, DeadlineExceeded, AnswerTooLarge


def limited_transport(mod: ModuleType, limits: Limits, **transport_kwargs: Any) -> Any:
    """An ``mod.HTTPTransport(**transport_kwargs)`` whose every request runs under ``limits``;
    ``mod`` is ``httpx`` or ``httpx2`` (PagerDuty's client uses the fork).

    The :class:`Watchdog` learns each call's socket from the connection pool's network backend,
    httpcore's extension point for custom networking: httpx has no option to pass one, so it is
    set on the pool the transport just built, before the pool has made any connection."""
    transport_cls = _httpx_classes(mod)[0]
    inner = mod.HTTPTransport(**transport_kwargs)
    pool = getattr(inner, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is None:  # a layout this module was not written for: fail loudly, never run unwatched
        raise TypeError(f"{mod.__name__}.HTTPTransport has no connection pool network backend to watch")
    pool._network_backend = _WatchedBackend(backend)  # type: ignore[union-attr]
    return transport_cls(inner, limits)


def is_deadline(exc: BaseException) -> bool:
    """Whether a limit error is the deadline (else it is the size cap)."""
    return isinstance(exc, LimitError) and exc.deadline
