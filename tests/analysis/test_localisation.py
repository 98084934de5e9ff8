"""Metric localisation on small built worlds: onsets, timing along the graph, evidence, kinds."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from incident.analysis.context import AnalysisInput, Series
from incident.analysis.localisation import departures
from incident.analysis.metrics import score_series
from incident.models import Incident

PAGE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def world(graph: dict[str, list[str]], paged: str = "frontend") -> AnalysisInput:
    incident = Incident(dedup_key="t", source="alertmanager", title="t", component=paged, page_at=PAGE)
    return AnalysisInput(incident=incident, page_at=PAGE, events=[], depends_on=graph)


def add(
    data: AnalysisInput,
    component: str,
    signal: str,
    base: float,
    after: float,
    *,
    onset_min: float = 3,
    step: int = 60,
    points: int = 60,
    noise: float = 0.03,
    seed: int = 0,
    until_min: float | None = None,
) -> Series:
    """``base`` with relative noise, at ``after`` from ``onset_min`` before the page (until ``until_min``)."""
    rng = np.random.default_rng(seed)
    ts = np.array([PAGE.timestamp() - step * (points - 1 - i) for i in range(points)], dtype=float)
    ago = (PAGE.timestamp() - ts) / 60
    out = (ago <= onset_min) & (ago > (until_min if until_min is not None else -1))
    values = np.where(out, after, base) * (1 + rng.normal(0, noise, points))
    s = Series(f"w-{component}-{signal}", component, signal, ts, values)
    data.series.setdefault(component, {})[signal] = s
    return s


def ranked(data: AnalysisInput) -> list[str]:
    return [d.component for d in sorted(departures(data).values(), key=lambda d: d.strength, reverse=True)]


def test_a_dependency_that_departed_three_minutes_before_its_caller_ranks_first() -> None:
    data = world({"frontend": ["checkout"], "checkout": ["db"], "db": []})
    add(data, "db", "latency_p99", 0.02, 0.9, onset_min=5, seed=1)
    add(data, "checkout", "latency_p99", 0.1, 1.2, onset_min=2, seed=2)
    add(data, "frontend", "latency_p99", 0.2, 1.4, onset_min=2, seed=3)
    deps = departures(data)
    assert ranked(data)[0] == "db"
    assert deps["checkout"].explained_by == "db"
    assert deps["db"].onset is not None and deps["checkout"].onset is not None
    assert deps["db"].onset < deps["checkout"].onset


def test_a_dependency_that_departed_after_its_caller_does_not_explain_it() -> None:
    data = world({"frontend": ["checkout"], "checkout": ["db"], "db": []})
    add(data, "checkout", "latency_p99", 0.1, 1.2, onset_min=6, seed=2)
    add(data, "db", "latency_p99", 0.02, 0.9, onset_min=2, seed=1)
    assert departures(data)["checkout"].explained_by is None


def test_an_earlier_spike_that_ended_before_the_page_does_not_win() -> None:
    data = world({"frontend": ["a", "b"], "a": [], "b": []})
    add(data, "a", "latency_p99", 0.05, 5.0, onset_min=20, until_min=15, seed=1)
    add(data, "b", "latency_p99", 0.05, 0.4, onset_min=3, seed=2)
    deps = departures(data)
    assert ranked(data)[0] == "b"
    assert "a" not in deps or deps["a"].strength < 0.2


def test_several_signals_departing_together_beat_one_noisy_signal() -> None:
    data = world({"frontend": ["a", "b"], "a": [], "b": []})
    for signal, seed in (("cpu", 1), ("memory", 2), ("latency_p99", 3)):
        add(data, "a", signal, 10.0, 13.0, seed=seed)
    add(data, "b", "latency_p99", 10.0, 14.0, seed=4)
    deps = departures(data)
    assert deps["b"].anomalies[0].score > deps["a"].anomalies[0].score  # b's one signal moved most
    assert ranked(data)[0] == "a"
    assert set(deps["a"].signals) == {"cpu", "memory", "latency_p99"}


def test_five_minute_data_with_two_points_after_the_onset_is_found() -> None:
    data = world({"frontend": []})
    s = add(data, "frontend", "latency_avg", 0.08, 0.5, onset_min=5, step=300, points=13, seed=5)
    a = score_series(s, PAGE)
    assert a is not None and a.score > 10
    assert a.samples == 2
    assert a.onset == s.ts[-2]


def test_a_series_that_stopped_before_the_page_says_nothing_about_it() -> None:
    data = world({"frontend": []})
    s = add(data, "frontend", "latency_p99", 0.1, 3.0, onset_min=30, points=40)
    s.ts, s.values = s.ts[:-20], s.values[:-20]
    assert score_series(s, PAGE) is None


def test_cpu_alone_is_saturation_latency_alone_is_network_flat_is_nothing() -> None:
    data = world({"frontend": ["a", "b", "c"], "a": [], "b": [], "c": []})
    add(data, "a", "cpu", 0.2, 0.95, seed=1)
    add(data, "a", "request_rate", 50, 50, seed=2)
    add(data, "b", "latency_p90", 0.01, 0.3, seed=3)
    add(data, "b", "cpu", 0.3, 0.3, seed=4)
    add(data, "c", "cpu", 0.3, 0.3, seed=5)
    add(data, "c", "latency_p90", 0.02, 0.02, seed=6)
    deps = departures(data)
    assert deps["a"].kind == "resource_saturation"
    assert deps["b"].kind == "network"
    assert "c" not in deps or (deps["c"].strength < 0.45 and deps["c"].kind == "unknown")


def test_errors_are_a_code_error_and_a_request_surge_a_traffic_surge() -> None:
    data = world({"frontend": ["a", "b"], "a": [], "b": []})
    add(data, "a", "error_ratio", 0.001, 0.2, noise=0.3, seed=1)
    add(data, "b", "request_rate", 100.0, 400.0, seed=2)
    deps = departures(data)
    assert deps["a"].kind == "code_error"
    assert deps["b"].kind == "traffic_surge"


def test_a_millisecond_dependency_does_not_explain_a_caller_slower_by_seconds() -> None:
    data = world({"frontend": ["checkout"], "checkout": ["payment"], "payment": []})
    add(data, "payment", "latency_p99", 0.005, 0.012, onset_min=4, noise=0.01, seed=1)
    add(data, "checkout", "latency_p99", 0.4, 4.0, onset_min=3, seed=2)
    deps = departures(data)
    assert deps["checkout"].explained_by is None
    assert ranked(data)[0] == "checkout"


def test_a_caller_whose_own_cpu_departed_is_not_an_echo() -> None:
    data = world({"frontend": ["checkout"], "checkout": ["payment"], "payment": []})
    add(data, "payment", "latency_p99", 0.1, 1.0, onset_min=3, seed=1)
    add(data, "checkout", "cpu", 0.1, 0.95, onset_min=3, seed=2)
    add(data, "checkout", "latency_p99", 0.3, 1.3, onset_min=3, seed=3)
    assert departures(data)["checkout"].explained_by is None


def test_a_component_without_edges_is_not_explained_away() -> None:
    data = world({"frontend": ["a"], "a": [], "lonely": []})
    add(data, "a", "latency_p99", 0.05, 2.0, onset_min=4, seed=1)
    add(data, "lonely", "latency_p99", 0.05, 1.0, onset_min=2, seed=2)
    deps = departures(data)
    assert deps["lonely"].explained_by is None
    assert deps["lonely"].strength == deps["lonely"].raw


def test_a_series_with_no_traffic_that_wakes_up_is_weak_evidence() -> None:
    data = world({"frontend": ["queue"], "queue": []})
    s = add(data, "queue", "request_rate", 0.0, 0.25, onset_min=0, noise=0.0)
    a = score_series(s, PAGE)
    assert a is not None and a.score <= 10
