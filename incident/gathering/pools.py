"""One thread pool per connector, so a connector that hangs fills only its own pool.

With one shared pool, calls stuck on a slow Prometheus held every worker and the Kubernetes and
catalog tasks of later incidents queued behind them until their budget ran out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class ConnectorPools:
    """Thread pools by connector name, created on first use."""

    def __init__(self, workers: int = 4) -> None:
        self.workers = workers
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._lock = threading.Lock()

    def pool(self, name: str) -> ThreadPoolExecutor:
        with self._lock:
            pool = self._pools.get(name)
            if pool is None:
                pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix=f"connector-{name}")
                self._pools[name] = pool
            return pool

    def submit(self, name: str, fn: Callable[..., T], *args: Any) -> Future[T]:
        return self.pool(name).submit(fn, *args)

    def shutdown(self) -> None:
        """Stop taking work; calls still running end on their own deadline (threads are not killed)."""
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.shutdown(wait=False, cancel_futures=True)
