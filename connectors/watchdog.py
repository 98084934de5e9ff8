"""The deadline watchdog: one alarm thread that shuts a call's socket down when its deadline passes.

Read timeouts bound each receive, not the call; an upstream that drips its status line and headers
a byte at a time is cut only by this. :mod:`connectors.limits` starts one :class:`Watchdog` per call.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING

import requests
import urllib3

if TYPE_CHECKING:
    from connectors.limits import Clock

_log = logging.getLogger(__name__)
SLACK = 0.1
"""A read timeout this close to the deadline is the deadline (the timeout was lowered to it)."""


def _no_socket() -> socket.socket | None:
    return None


class _Alarms:
    """One daemon thread that fires every :class:`Watchdog` at its deadline (a thread per call would
    cost more than a request on loopback). Stopped watchdogs stay queued until their time and then
    do nothing."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: list[tuple[float, int, Watchdog]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, when: float, dog: Watchdog) -> None:
        with self._cond:
            heapq.heappush(self._queue, (when, next(self._order), dog))
            if self._thread is None or not self._thread.is_alive():  # first use, or a forked child
                self._thread = threading.Thread(target=self._run, name="connector-deadlines", daemon=True)
                self._thread.start()
            elif self._queue[0][2] is dog:  # sooner than what the thread waits for
                self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue or (wait := self._queue[0][0] - time.monotonic()) > 0:
                    self._cond.wait(wait if self._queue else None)
                dog = heapq.heappop(self._queue)[2]
            try:
                dog._fire()
            except Exception:  # one odd connection must not stop the alarms of every other call
                _log.exception("cutting a connection at its deadline failed")


class Watchdog:
    """Cuts one call at its deadline, whatever it is waiting for: connect, status line, headers, body.

    Read timeouts bound each receive, not the call. An alarm set when the call starts shuts the
    call's socket down when the deadline passes; the blocked receive returns, the client library
    raises, and the call's wrapper reports the deadline. The client library tells the watchdog which
    socket the call uses while the call runs on its thread (:meth:`active`): urllib3 pools report the
    connection they lend (:func:`watch_pools`), httpcore streams report themselves on every read and
    write (:func:`limited_transport`). The watchdog never touches a connection once the call is over
    (:meth:`stop`) or the connection is back in its pool (:meth:`release`).
    """

    _local = threading.local()

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.fired = False
        """The deadline passed while the call ran."""
        self.cut = False
        """A socket was shut down: what the library made of the answer since may be truncated."""
        self._lock = threading.Lock()
        self._owner: object = None
        self._socket: Callable[[], socket.socket | None] = _no_socket
        self._done = False
        _ALARMS.arm(clock.end, self)

    @classmethod
    def current(cls) -> Watchdog | None:
        """The watchdog of the call running on this thread, if any."""
        dog: Watchdog | None = getattr(cls._local, "dog", None)
        return dog

    @contextmanager
    def active(self) -> Iterator[Watchdog]:
        """While inside, the client library reports this thread's connection to this watchdog."""
        previous = Watchdog.current()
        Watchdog._local.dog = self
        try:
            yield self
        finally:
            Watchdog._local.dog = previous

    def watch(self, owner: object, sock: Callable[[], socket.socket | None]) -> None:
        """The call now uses ``owner`` (a connection or stream) whose socket ``sock()`` returns;
        past the deadline it is cut at once."""
        with self._lock:
            self._owner, self._socket = owner, sock
            if self.fired and not self._done:
                self._shut()

    def release(self, owner: object) -> None:
        """``owner`` went back to its pool: no longer this call's to cut."""
        with self._lock:
            if self._owner is owner:
                self._owner, self._socket = None, _no_socket

    def ended(self, exc: BaseException, *timeouts: type[BaseException]) -> bool:
        """Whether the deadline ended the call that raised ``exc``: the watchdog had fired, or a
        timeout (one of ``timeouts`` or a socket/urllib3/requests one, anywhere in the chain) ran out
        with the deadline it was lowered to, just before the alarm would have gone off."""
        if self.fired:
            return True
        if self.clock.remaining() > SLACK:
            return False
        kinds: tuple[type[BaseException], ...] = (
            TimeoutError,
            urllib3.exceptions.TimeoutError,
            requests.Timeout,
            *timeouts,
        )
        seen: BaseException | None = exc
        for _ in range(8):  # a chain of wrapped errors, never a cycle
            if seen is None or isinstance(seen, kinds):
                break
            reason = getattr(seen, "reason", None)  # urllib3's MaxRetryError
            seen = reason if isinstance(reason, BaseException) else seen.__cause__ or seen.__context__
        return isinstance(seen, kinds)

    def stop(self) -> None:
        """The call is over: nothing is cut from now on."""
        with self._lock:
            self._done = True
            self._owner, self._socket = None, _no_socket  # the queued alarm keeps no connection alive

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            self._shut()

    def _shut(self) -> None:
        sock = self._socket()
        if sock is None:  # still connecting: the connect timeout was lowered to the deadline
            return
        with suppress(OSError):  # the plain socket's shutdown, also for TLS: no close_notify
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        self.cut = True


_ALARMS = _Alarms()
