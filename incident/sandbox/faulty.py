"""An HTTP upstream that misbehaves at the socket level: it drips its answer or floods it.

Every request gets ``200 application/json``; ``drip`` sends one byte every ``interval`` seconds of
a body announced as ``drip_bytes`` long; ``flood`` sends ``size`` bytes as fast as the client
takes them, with or without a Content-Length. ``bytes_sent`` counts body bytes that left.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

CHUNK = 64 * 1024


class FaultyUpstream:
    def __init__(
        self,
        mode: str,
        *,
        interval: float = 1.0,
        drip_bytes: int = 600,
        size: int = 100 * 2**20,
        declare_length: bool = True,
    ) -> None:
        assert mode in ("drip", "flood")
        self.mode, self.interval, self.drip_bytes = mode, interval, drip_bytes
        self.size, self.declare_length = size, declare_length
        self.bytes_sent = 0
        self.requests = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self) -> FaultyUpstream:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._conns.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            while not self._stop.is_set():
                head = b""
                while b"\r\n\r\n" not in head:
                    data = conn.recv(65536)
                    if not data:
                        return
                    head += data
                self.requests += 1
                if self.mode == "drip":
                    self._drip(conn)
                else:
                    self._flood(conn)
                    return
        except OSError:
            return
        finally:
            with self._lock:
                self._conns.discard(conn)
            conn.close()

    def _count(self, n: int) -> None:
        with self._lock:
            self.bytes_sent += n

    def _drip(self, conn: socket.socket) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {self.drip_bytes}\r\n\r\n".encode()
        )
        for _ in range(self.drip_bytes):
            if self._stop.wait(self.interval):
                return
            conn.sendall(b" ")
            self._count(1)

    def _flood(self, conn: socket.socket) -> None:
        length = f"Content-Length: {self.size}\r\n" if self.declare_length else "Connection: close\r\n"
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{length}\r\n".encode())
        block = b"0" * CHUNK
        left = self.size
        while left > 0 and not self._stop.is_set():
            n = conn.send(block[: min(CHUNK, left)])
            self._count(n)
            left -= n
        time.sleep(0.05)
