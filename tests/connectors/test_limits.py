"""Every connector's calls end within their deadline and never hold more than the answer cap,
against upstreams that drip one byte a second or send 100 MB (issue 10, point 4)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.alertmanager.client import AlertmanagerConnector
from connectors.catalog.backstage import BackstageConnector
from connectors.kubernetes.client import KubernetesConnector
from connectors.limits import CHUNK, LimitError
from connectors.pagerduty.client import PagerDutyConnector
from connectors.prometheus.client import PrometheusConnector
from incident.config import (
    AlertmanagerConfig,
    CatalogConfig,
    KubernetesConfig,
    PagerDutyConfig,
    PrometheusConfig,
)
from incident.errors import ConnectorError
from tests.connectors.faulty import FaultyUpstream

DEADLINE = 1.5
CAP = 2**20
LIMITS: dict[str, Any] = {
    "timeout": timedelta(seconds=5),  # per read: a drip of one byte a second never trips it
    "deadline": timedelta(seconds=DEADLINE),
    "max_answer_bytes": CAP,
}
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def prometheus(url: str) -> Callable[[], Any]:
    conn = PrometheusConnector(PrometheusConfig(url=url, **LIMITS), component_label="service")
    return lambda: conn.query_signals({"up": "up"}, start=NOW - timedelta(hours=1), end=NOW, step_seconds=60)


def kubernetes(url: str) -> Callable[[], Any]:
    return KubernetesConnector(KubernetesConfig(host=url, **LIMITS)).nodes


def alertmanager(url: str) -> Callable[[], Any]:
    return AlertmanagerConnector(AlertmanagerConfig(url=url, **LIMITS)).active_alerts


def backstage(url: str) -> Callable[[], Any]:
    return BackstageConnector(CatalogConfig(backstage_url=url, **LIMITS)).entities


def pagerduty(url: str) -> Callable[[], Any]:
    cfg = PagerDutyConfig(api_token="token", base_url=url, **LIMITS)  # type: ignore[arg-type]
    return PagerDutyConnector(cfg).open_incidents


CONNECTORS = [prometheus, kubernetes, alertmanager, backstage, pagerduty]


def run_bounded(call: Callable[[], Any], limit: float) -> tuple[BaseException | None, float]:
    """Run ``call`` in a thread; fail the test when it is still running after ``limit`` seconds."""
    box: dict[str, Any] = {}

    def target() -> None:
        started = time.monotonic()
        try:
            call()
        except BaseException as exc:
            box["error"] = exc
        box["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(limit)
    assert not thread.is_alive(), f"the call was still running after {limit:g} s"
    return box.get("error"), box["seconds"]


def limit_error(exc: BaseException | None) -> LimitError:
    seen = exc
    while seen is not None:
        if isinstance(seen, LimitError):
            return seen
        seen = seen.__cause__ or seen.__context__
    raise AssertionError(f"no limit error behind {exc!r}")


@pytest.mark.parametrize("make", CONNECTORS, ids=lambda f: f.__name__)
def test_a_dripping_upstream_fails_the_call_within_its_deadline(make: Callable[[str], Callable[[], Any]]) -> None:
    with FaultyUpstream("drip", interval=1.0) as upstream:
        error, seconds = run_bounded(make(upstream.url), DEADLINE + 3)
    assert isinstance(error, ConnectorError), error
    assert "deadline" in error.message
    assert seconds < DEADLINE + 1.5  # the byte after the deadline ends it
    assert limit_error(error).bytes_read <= 3


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "until-close"])
@pytest.mark.parametrize("make", CONNECTORS, ids=lambda f: f.__name__)
def test_a_100_mb_answer_is_cut_off_at_the_cap(make: Callable[[str], Callable[[], Any]], declared: bool) -> None:
    with FaultyUpstream("flood", size=100 * 2**20, declare_length=declared) as upstream:
        error, seconds = run_bounded(make(upstream.url), 10)
        sent = upstream.bytes_sent
    assert isinstance(error, ConnectorError), error
    assert "cap" in error.message
    read = limit_error(error).bytes_read
    assert read <= CAP + CHUNK
    if declared:
        assert read == 0  # refused from the Content-Length, before reading
    assert sent < 32 * 2**20  # the upstream could not push the rest: the client hung up
    assert seconds < 5
