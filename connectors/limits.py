"""Limits every connector request runs under: a wall-clock deadline and a cap on the answer's size.

Client libraries only time single reads: an upstream that drips a byte a second never trips them,
and an answer is read whole before anyone looks at its size. Here each request's connect and read
timeouts are lowered to what is left of its deadline, and the body is read as it arrives, chunk by
chunk, checking the clock and the byte count after each one, so a call ends within its deadline
(plus at most one read timeout when the upstream falls silent) and never holds more than the cap.

One way in per client family: :class:`LimitedAdapter` for ``requests`` (Prometheus),
:func:`read_limited` for ``urllib3`` responses (Kubernetes), :func:`limited_transport` for
``httpx`` and its fork ``httpx2`` (Alertmanager, Backstage, PagerDuty).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter

CHUNK = 64 * 1024
_SLACK = 0.1
"""A read timeout this close to the deadline is the deadline (the timeout was lowered to it)."""


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
            if clock.remaining() > _SLACK:
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


class LimitedAdapter(HTTPAdapter):
    """A requests transport adapter that applies :class:`Limits` to every request it sends."""

    def __init__(self, limits: Limits, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.limits = limits

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, **kwargs: Any
    ) -> requests.Response:
        clock = Clock(self.limits)
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
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

    class LimitedStream(mod.SyncByteStream):  # type: ignore[name-defined,misc]
        def __init__(self, inner: Any, clock: Clock, request: Any) -> None:
            self.inner, self.clock, self.request = inner, clock, request

        def __iter__(self) -> Iterator[bytes]:
            for chunk in self.inner:
                stop = self.clock.took(len(chunk))
                if stop == "size":
                    read = self.clock.read
                    raise fail(AnswerTooLarge, too_large_text(self.clock.limits, read), read, self.request)
                if stop == "deadline":
                    read = self.clock.read
                    raise fail(DeadlineExceeded, deadline_text(self.clock.limits, read), read, self.request)
                yield chunk

        def close(self) -> None:
            self.inner.close()

    class LimitedTransport(mod.BaseTransport):  # type: ignore[name-defined,misc]
        def __init__(self, inner: Any, limits: Limits) -> None:
            self.inner, self.limits = inner, limits

        def handle_request(self, request: Any) -> Any:
            clock = Clock(self.limits)
            timeouts = dict(request.extensions.get("timeout") or {})
            request.extensions["timeout"] = {
                k: clock.cap(timeouts.get(k)) for k in ("connect", "read", "write", "pool")
            }
            response = self.inner.handle_request(request)
            declared = clock.declared(response.headers.get("Content-Length"))
            if declared is not None:
                response.close()
                raise fail(AnswerTooLarge, too_large_text(self.limits, 0, declared), 0, request)
            return mod.Response(
                status_code=response.status_code,
                headers=response.headers,
                stream=LimitedStream(response.stream, clock, request),
                extensions=response.extensions,
            )

        def close(self) -> None:
            self.inner.close()

    return LimitedTransport, LimitedStream, DeadlineExceeded, AnswerTooLarge


def limited_transport(mod: ModuleType, limits: Limits, **transport_kwargs: Any) -> Any:
    """An ``mod.HTTPTransport(**transport_kwargs)`` whose every request runs under ``limits``;
    ``mod`` is ``httpx`` or ``httpx2`` (PagerDuty's client uses the fork)."""
    transport_cls = _httpx_classes(mod)[0]
    return transport_cls(mod.HTTPTransport(**transport_kwargs), limits)


def is_deadline(exc: BaseException) -> bool:
    """Whether a limit error is the deadline (else it is the size cap)."""
    return isinstance(exc, LimitError) and exc.deadline
