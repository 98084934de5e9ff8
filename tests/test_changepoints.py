from __future__ import annotations

import numpy as np

from incident.changepoints import describe, detect

T0 = 1_767_000_000.0


def series(values: list[float]) -> list[tuple[float, float]]:
    return [(T0 + 60 * i, v) for i, v in enumerate(values)]


def test_level_shift_is_found_with_its_onset_and_described() -> None:
    rng = np.random.default_rng(7)
    values = list(0.002 + rng.normal(0, 0.0004, 55)) + list(0.11 + rng.normal(0, 0.01, 5))
    change = detect("checkout", "error_ratio", series(values))
    assert change is not None
    assert change.direction == "up"
    assert abs(change.onset.timestamp() - (T0 + 60 * 55)) <= 60
    assert describe(change).startswith("error ratio 0.19%")
    assert "-> 11" in describe(change) and describe(change).endswith("UTC on checkout")


def test_noise_and_single_spikes_are_not_changes() -> None:
    rng = np.random.default_rng(3)
    noisy = list(100 + rng.normal(0, 8, 60))
    assert detect("cart", "request_rate", series(noisy)) is None
    spiky = list(0.2 + rng.normal(0, 0.01, 60))
    spiky[30] = 2.0
    assert detect("cart", "latency_p99", series(spiky)) is None


def test_drop_is_reported_as_down() -> None:
    values = [100.0 + (i % 3) for i in range(50)] + [20.0, 21.0, 19.0]
    change = detect("frontend", "request_rate", series(values))
    assert change is not None and change.direction == "down" and change.after < 25


def test_too_short_series_yield_nothing() -> None:
    assert detect("x", "cpu", series([1.0, 5.0, 5.0])) is None


def test_memory_is_shown_in_binary_units() -> None:
    values = [200 * 2**20] * 40 + [900 * 2**20] * 4
    change = detect("cart", "memory", series(values))
    assert change is not None
    assert "200 MiB -> 900 MiB" in describe(change)
