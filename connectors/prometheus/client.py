"""Prometheus metrics through ``prometheus-api-client``: one range query per signal.

Signals run concurrently on a small thread pool. One failing signal (bad PromQL, a timeout) does
not lose the others: its error is kept in :attr:`PrometheusConnector.last_errors` and only a run
where every signal failed raises.
"""

from __future__ import annotations

import ast
import json
import logging
import math
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

import requests
from prometheus_api_client import PrometheusConnect
from prometheus_api_client.exceptions import PrometheusApiClientException
from urllib3.util.retry import Retry

from connectors.base import CheckResult, MetricSeries
from connectors.common.errors import ConnectorDataError, ConnectorError, ConnectorTimeout
from connectors.limits import AnswerTooLarge, DeadlineExceeded, LimitedAdapter, Limits
from connectors.prometheus.config import PrometheusConfig

log = logging.getLogger(__name__)

NAME = "prometheus"
MAX_WORKERS = 4
_STATUS = re.compile(r"HTTP Status Code (\d+) \((b['\"].*['\"])\)\s*$", re.S)
T = TypeVar("T")


def _api_error(exc: PrometheusApiClientException, what: str) -> ConnectorError:
    """``HTTP 400: bad_data: 1:5: parse error ...`` from the client's ``HTTP Status Code ...`` text."""
    text = str(exc)
    match = _STATUS.search(text)
    if not match:
        return ConnectorError(f"{what}: {text[:300]}", connector=NAME)
    detail = match.group(2)
    try:
        body = json.loads(ast.literal_eval(detail))
        detail = f"{body.get('errorType', 'error')}: {body.get('error', '')}"
    except (ValueError, SyntaxError, TypeError, AttributeError):
        detail = detail[:300]
    status = int(match.group(1))
    return ConnectorError(f"{what}: HTTP {status}: {detail}", connector=NAME, http_status=status)


def _call(what: str, fn: Callable[[], T]) -> T:
    """Run a client call, turning vendor exceptions into ours."""
    try:
        return fn()
    except requests.JSONDecodeError as exc:
        raise ConnectorDataError(f"{what}: answer is not JSON (is this a Prometheus URL?)", connector=NAME) from exc
    except (KeyError, TypeError) as exc:
        raise ConnectorDataError(f"{what}: answer is not a Prometheus API response ({exc!r})", connector=NAME) from exc
    except DeadlineExceeded as exc:
        raise ConnectorTimeout(f"{what}: {exc}", connector=NAME) from exc
    except AnswerTooLarge as exc:
        raise ConnectorError(f"{what}: {exc}", connector=NAME) from exc
    except requests.Timeout as exc:
        raise ConnectorTimeout(f"{what}: timed out ({exc})", connector=NAME) from exc
    except requests.RequestException as exc:
        raise ConnectorError(f"{what}: {type(exc).__name__}: {exc}", connector=NAME) from exc
    except PrometheusApiClientException as exc:
        raise _api_error(exc, what) from exc


def _bare(exc: ConnectorError) -> str:
    """The message without the ``prometheus: `` prefix (the connector is named elsewhere)."""
    return exc.message.removeprefix(f"{NAME}: ")


def _points(values: Any, where: str) -> tuple[tuple[float, float], ...]:
    if not isinstance(values, list):
        raise ConnectorDataError(f"{where}: 'values' is not a list", connector=NAME)
    points: list[tuple[float, float]] = []
    for item in values:
        try:
            ts, value = float(item[0]), float(item[1])
        except (TypeError, ValueError, IndexError) as exc:
            raise ConnectorDataError(f"{where}: bad sample {item!r}", connector=NAME) from exc
        if math.isfinite(value):
            points.append((ts, value))
    return tuple(points)


class PrometheusConnector:
    """Range-queries signals and returns one :class:`MetricSeries` per component."""

    name = NAME

    def __init__(self, cfg: PrometheusConfig, *, component_label: str) -> None:
        self.cfg = cfg
        self.component_label = component_label
        self.timeout = cfg.timeout.total_seconds()
        self.last_errors: dict[str, str] = {}
        """Signal -> error of the last :meth:`query_signals` for the signals that failed."""
        self._client: PrometheusConnect | None = None
        if cfg.url:
            headers = {"Authorization": f"Bearer {cfg.bearer_token.get_secret_value()}"} if cfg.bearer_token else None
            # one quick retry on connection errors only; read timeouts surface as timeouts
            retry = Retry(total=1, connect=1, read=False, status=0, backoff_factor=0.1)
            session = requests.Session()
            session.verify = cfg.verify_tls
            self._client = PrometheusConnect(
                url=cfg.url.rstrip("/"),
                headers=headers,
                disable_ssl=not cfg.verify_tls,
                retry=retry,
                timeout=self.timeout,
                session=session,
            )
            # replaces the client's own adapter for its URL: same retry, plus deadline and size cap
            session.mount(self._client.url, LimitedAdapter(Limits.of(cfg), max_retries=retry))

    def _require(self) -> PrometheusConnect:
        if self._client is None:
            raise ConnectorError("prometheus.url is not set", connector=NAME)
        return self._client

    def check(self) -> CheckResult:
        if self._client is None:
            return CheckResult(NAME, False, "prometheus.url is not set")
        client = self._client
        try:
            if not _call("GET /", client.check_prometheus_connection):
                return CheckResult(NAME, False, f"{self.cfg.url} did not answer OK")
            result = _call("query vector(1)", lambda: client.custom_query("vector(1)"))
            if not isinstance(result, list):
                raise ConnectorDataError("query vector(1): unexpected result shape", connector=NAME)
        except ConnectorError as exc:
            return CheckResult(NAME, False, _bare(exc))
        return CheckResult(NAME, True, f"{self.cfg.url} answers PromQL")

    def query_signals(
        self, signals: dict[str, str], *, start: datetime, end: datetime, step_seconds: float
    ) -> list[MetricSeries]:
        client = self._require()
        self.last_errors = {}
        if not signals:
            return []
        step = f"{step_seconds:g}s"

        def run(item: tuple[str, str]) -> list[MetricSeries] | ConnectorError:
            signal, query = item
            try:
                result = _call(
                    f"signal {signal}",
                    lambda: client.custom_query_range(
                        query,
                        start,
                        end,
                        step,
                        params={"timeout": f"{self.timeout:g}s"},
                        timeout=self.timeout,
                    ),
                )
                return self._series(signal, query, result)
            except ConnectorError as exc:
                return exc

        with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(signals)), thread_name_prefix=NAME) as pool:
            outcomes = list(pool.map(run, signals.items()))
        series: list[MetricSeries] = []
        failures: list[ConnectorError] = []
        for signal, outcome in zip(signals, outcomes, strict=True):
            if isinstance(outcome, ConnectorError):
                self.last_errors[signal] = _bare(outcome)
                failures.append(outcome)
            else:
                series.extend(outcome)
        if len(failures) == len(signals):
            summary = "; ".join(_bare(f) for f in failures[:3])
            more = f" (+{len(failures) - 3} more)" if len(failures) > 3 else ""
            kinds = {type(f) for f in failures}
            cls = kinds.pop() if len(kinds) == 1 else ConnectorError
            statuses = {f.http_status for f in failures}  # one status shared by every failure is the answer's
            status = statuses.pop() if len(statuses) == 1 else None
            message = f"all {len(signals)} signals failed: {summary}{more}"
            raise cls(message, connector=NAME, http_status=status) from failures[0]
        return series

    def _series(self, signal: str, query: str, result: Any) -> list[MetricSeries]:
        where = f"signal {signal}"
        if not isinstance(result, list):
            raise ConnectorDataError(f"{where}: result is not a list of series", connector=NAME)
        out: dict[str, MetricSeries] = {}
        for entry in result:
            if not isinstance(entry, dict) or not isinstance(entry.get("metric"), dict):
                raise ConnectorDataError(f"{where}: result entry without 'metric'", connector=NAME)
            component = entry["metric"].get(self.component_label)
            if not component:
                continue
            if component in out:
                log.debug("%s: several series for %s=%s, keeping the first", where, self.component_label, component)
                continue
            out[component] = MetricSeries(signal, component, query, _points(entry.get("values"), where))
        return list(out.values())

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
