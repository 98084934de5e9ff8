"""PrometheusConnector against a real, backfilled Prometheus and against broken servers."""

from __future__ import annotations

import gzip
import shutil
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.prometheus import PrometheusConnector
from incident.config import PrometheusConfig
from incident.errors import ConnectorDataError, ConnectorError, ConnectorTimeout, SandboxError
from incident.sandbox.http import Response, StandInServer
from incident.sandbox.procs import free_port
from incident.sandbox.prometheus import PrometheusProcess, prepare_openmetrics
from incident.scenario import Scenario, load_scenario

PAGE = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
STEP_AT = PAGE - timedelta(minutes=20)
LATE_VALUE = 999.0
NEZHA = (
    Path(__file__).parents[2].parent
    / "shared/calibration/nezha-2022-08-22/nezha-ob-2022-08-22-05-cartservice-network-delay"
)

needs_prometheus = pytest.mark.skipif(
    shutil.which("prometheus") is None or shutil.which("promtool") is None,
    reason="prometheus/promtool not installed (apt-get install prometheus)",
)


def _metrics() -> str:
    """Two services, checkout stepping 1 -> 5 at STEP_AT; interleaved families, one series reversed."""
    start = int((PAGE - timedelta(minutes=60)).timestamp())
    stamps = list(range(start, int(PAGE.timestamp()) + 1, 60))
    cpu, latency = [], []
    for ts in stamps:
        checkout = 5.0 if ts >= STEP_AT.timestamp() else 1.0
        for pod in ("checkout-a", "checkout-b"):
            cpu.append(f'app_cpu{{service="checkout",pod="{pod}"}} {checkout} {ts}')
        cpu.append(f'app_cpu{{pod="cart-1",service="cart"}} 2.0 {ts}')
        latency.append(f'app_latency_seconds{{service="cart"}} 0.25 {ts}')
    cpu.append(f'app_cpu{{pod="orphan"}} 3.0 {stamps[0]}')
    late = int((PAGE + timedelta(minutes=2)).timestamp())
    cpu.append(f'app_cpu{{service="checkout",pod="checkout-a"}} {LATE_VALUE} {late}')
    lines = ["# HELP app_cpu CPU", "# TYPE app_cpu gauge", *cpu[: len(cpu) // 2]]
    lines += ["# TYPE app_latency_seconds gauge", *reversed(latency)]
    lines += cpu[len(cpu) // 2 :]  # app_cpu again after another family: promtool would drop samples
    lines.append('app_cpu{service="cart",pod="cart-1"} 2.0')  # no timestamp: dropped
    return "\n".join(lines) + "\n"


def write_scenario(root: Path, metrics: str | None) -> Scenario:
    root.mkdir(parents=True, exist_ok=True)
    (root / "scenario.yaml").write_text(
        f"name: two-services\npage:\n  source: alertmanager\n  at: {PAGE.isoformat()}\n  alert: HighCPU\n"
    )
    if metrics is not None:
        (root / "metrics.om.gz").write_bytes(gzip.compress(metrics.encode()))
    return load_scenario(root)


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusProcess]:
    if shutil.which("prometheus") is None or shutil.which("promtool") is None:
        pytest.skip("prometheus/promtool not installed (apt-get install prometheus)")
    root = tmp_path_factory.mktemp("prom")
    with PrometheusProcess(write_scenario(root / "scenario", _metrics()), root / "work") as process:
        yield process


def connector(url: str | None, timeout: float = 5.0) -> PrometheusConnector:
    return PrometheusConnector(PrometheusConfig(url=url, timeout=timeout), component_label="service")


CPU = "avg by (service) (app_cpu)"


def test_prepare_openmetrics_regroups_sorts_and_cuts_at_page() -> None:
    prepared = prepare_openmetrics(_metrics(), until=PAGE)
    lines = prepared.text.splitlines()
    assert lines[-1] == "# EOF"
    assert prepared.dropped_after_page == 1 and prepared.dropped_untimed == 1
    families = [line.split("{")[0].split()[0] for line in lines if not line.startswith("#")]
    assert families.index("app_latency_seconds") > max(i for i, f in enumerate(families) if f == "app_cpu")
    cart = [float(line.split()[-1]) for line in lines if line.startswith("app_latency_seconds")]
    assert cart == sorted(cart) and max(cart) <= PAGE.timestamp()
    assert str(int(LATE_VALUE)) not in prepared.text


@pytest.mark.binaries
@needs_prometheus
def test_query_signals_returns_one_series_per_component(prometheus: PrometheusProcess) -> None:
    assert prometheus.available and prometheus.url
    prom = connector(prometheus.url)
    series = prom.query_signals(
        {"cpu": CPU, "latency_p90": "max by (service) (app_latency_seconds)"},
        start=PAGE - timedelta(minutes=60),
        end=PAGE,
        step_seconds=60,
    )
    by_key = {(s.signal, s.component): s for s in series}
    assert set(by_key) == {("cpu", "checkout"), ("cpu", "cart"), ("latency_p90", "cart")}
    checkout = by_key[("cpu", "checkout")]
    assert checkout.query == CPU
    before = [v for ts, v in checkout.points if ts < STEP_AT.timestamp()]
    after = [v for ts, v in checkout.points if ts >= STEP_AT.timestamp()]
    assert set(before) == {1.0} and set(after) == {5.0}
    assert len(checkout.points) == 61
    assert {v for _, v in by_key[("cpu", "cart")].points} == {2.0}
    assert len(by_key[("latency_p90", "cart")].points) == 61  # written newest first in the scenario
    assert max(ts for s in series for ts, _ in s.points) == PAGE.timestamp()
    assert prom.last_errors == {}


@pytest.mark.binaries
@needs_prometheus
def test_nothing_after_page_is_served_even_when_asked(prometheus: PrometheusProcess) -> None:
    series = connector(prometheus.url).query_signals(
        {"raw": "app_cpu"},
        start=PAGE - timedelta(minutes=5),
        end=PAGE + timedelta(minutes=30),
        step_seconds=60,
    )
    values = {v for s in series for _, v in s.points}
    assert LATE_VALUE not in values
    # raw app_cpu has two checkout pods and one unlabelled series: first kept, orphan skipped
    assert sorted(s.component for s in series) == ["cart", "checkout"]


@pytest.mark.binaries
@needs_prometheus
def test_bad_promql_does_not_lose_the_good_signals(prometheus: PrometheusProcess) -> None:
    prom = connector(prometheus.url)
    signals = {"cpu": CPU, "broken": "sum((app_cpu", "memory": "avg by (service) (app_cpu) * 2"}
    series = prom.query_signals(signals, start=PAGE - timedelta(minutes=10), end=PAGE, step_seconds=60)
    assert {s.signal for s in series} == {"cpu", "memory"}
    assert list(prom.last_errors) == ["broken"]
    assert "HTTP 400" in prom.last_errors["broken"] and "parse error" in prom.last_errors["broken"]
    with pytest.raises(ConnectorError, match="all 1 signals failed") as info:
        prom.query_signals({"broken": "sum(("}, start=PAGE - timedelta(minutes=10), end=PAGE, step_seconds=60)
    assert info.value.connector == "prometheus"


@pytest.mark.binaries
@needs_prometheus
def test_check_ok_against_real_prometheus(prometheus: PrometheusProcess) -> None:
    result = connector(prometheus.url).check()
    assert result.ok, result.detail


def test_dead_url_check_says_why_and_query_raises() -> None:
    prom = connector(f"http://127.0.0.1:{free_port()}", timeout=2)
    result = prom.check()
    assert not result.ok and "Connection" in result.detail
    with pytest.raises(ConnectorError) as info:
        prom.query_signals({"cpu": CPU}, start=PAGE - timedelta(minutes=5), end=PAGE, step_seconds=60)
    assert not isinstance(info.value, ConnectorDataError)
    assert prom.last_errors.keys() == {"cpu"}


def test_unset_url_is_reported_not_crashed() -> None:
    prom = connector(None)
    assert prom.check() == prom.check() and not prom.check().ok
    with pytest.raises(ConnectorError, match="url is not set"):
        prom.query_signals({"cpu": CPU}, start=PAGE, end=PAGE, step_seconds=60)


def test_html_server_is_a_data_error() -> None:
    server = StandInServer()
    server.route("GET", "/.*", lambda _: Response(200, "<html><body>login</body></html>", "text/html"))
    with server:
        prom = connector(server.url)
        result = prom.check()
        assert not result.ok and "not JSON" in result.detail
        with pytest.raises(ConnectorDataError, match="not JSON"):
            prom.query_signals({"cpu": CPU}, start=PAGE - timedelta(minutes=5), end=PAGE, step_seconds=60)


def test_wrong_shape_json_is_a_data_error() -> None:
    server = StandInServer()
    server.route("GET", "/api/v1/query_range", lambda _: {"status": "success", "data": {"result": "nope"}})
    server.route("GET", "/api/v1/query", lambda _: {"status": "success"})
    with server:
        prom = connector(server.url)
        assert not prom.check().ok
        with pytest.raises(ConnectorDataError, match="not a list"):
            prom.query_signals({"cpu": CPU}, start=PAGE - timedelta(minutes=5), end=PAGE, step_seconds=60)


def test_slow_server_is_a_timeout() -> None:
    # a listening socket that never answers: the client's read times out
    with socket.create_server(("127.0.0.1", 0)) as silent:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(ConnectorTimeout):
            connector(url, timeout=0.3).query_signals(
                {"cpu": CPU}, start=PAGE - timedelta(minutes=5), end=PAGE, step_seconds=60
            )
        assert time.monotonic() - started < 3


def test_scenario_without_metrics_is_unavailable(tmp_path: Path) -> None:
    process = PrometheusProcess(write_scenario(tmp_path / "s", None), tmp_path / "work").start()
    assert process.url is None and not process.available
    assert process.reason == "scenario has no metrics"


def test_missing_binary_names_the_debian_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = write_scenario(tmp_path / "s", _metrics())
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SandboxError, match=r"install the Debian package 'prometheus' \(apt-get install prometheus\)"):
        PrometheusProcess(scenario, tmp_path / "work").start()


@pytest.mark.binaries
@needs_prometheus
@pytest.mark.skipif(not NEZHA.is_dir(), reason=f"calibration scenario not present at {NEZHA}")
def test_calibration_scenario_loads_unchanged(tmp_path: Path) -> None:
    scenario = load_scenario(NEZHA)
    query = scenario.config["metrics"]["signals"]["cpu"]
    assert query == "avg by (service) (nezha_cpu_usage_percent)"
    with PrometheusProcess(scenario, tmp_path) as process:
        series = connector(process.url).query_signals(
            {"cpu": query},
            start=scenario.page_at - timedelta(minutes=60),
            end=scenario.page_at,
            step_seconds=60,
        )
    assert len({s.component for s in series}) == 10
    assert "cartservice" in {s.component for s in series}
    assert all(s.points and s.points[-1][0] <= scenario.page_at.timestamp() for s in series)
