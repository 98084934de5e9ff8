"""Impact figures from the stored metric windows: peaks over the incident and SLO error-budget burn."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime
from statistics import median

from incident.changepoints import format_value, signal_label
from incident.config import SloConfig
from incident.models import MetricWindow
from incident.postmortem import fmt
from incident.postmortem.model import Figure, SloBurn

LATENCY_SIGNALS = ("latency_p99", "latency_p90", "latency_p50")
"""Preferred first: the draft reports the highest quantile that was gathered."""


def points_in(window: MetricWindow, start: datetime, end: datetime) -> list[tuple[datetime, float]]:
    """The window's finite points with ``start <= t <= end``, oldest first."""
    out = []
    for point in window.points or []:
        if not isinstance(point, list | tuple) or len(point) != 2:
            continue
        at, value = datetime.fromtimestamp(float(point[0]), UTC), float(point[1])
        if start <= at <= end and math.isfinite(value):
            out.append((at, value))
    return out


def figure(window: MetricWindow, at: datetime, value: float, *, standard_units: bool = True) -> Figure:
    return Figure(
        component=window.component,
        signal=window.signal,
        value=value,
        at=at,
        text=format_value(window.signal, value, standard_units=standard_units),
        label=signal_label(window.signal),
    )


def peak(
    windows: Iterable[MetricWindow], signal: str, start: datetime, end: datetime, *, standard_units: bool = True
) -> Figure | None:
    """The highest value of ``signal`` over ``windows`` in [start, end]; ties go to the earliest, then by name."""
    found = [
        (value, at, window.component, window)
        for window in windows
        if window.signal == signal
        for at, value in points_in(window, start, end)
    ]
    if not found:
        return None
    value, at, _, window = min(found, key=lambda f: (-f[0], f[1], f[2]))
    return figure(window, at, value, standard_units=standard_units)


def latency_peak(
    windows: list[MetricWindow], start: datetime, end: datetime, *, standard_units: bool = True
) -> Figure | None:
    for signal in LATENCY_SIGNALS:
        found = peak(windows, signal, start, end, standard_units=standard_units)
        if found is not None:
            return found
    return None


def value_at(windows: Iterable[MetricWindow], component: str, signal: str, at: datetime) -> Figure | None:
    """The stored point of ``signal`` on ``component`` at ``at`` exactly (same step grid), if any."""
    for window in windows:
        if window.component == component and window.signal == signal:
            for when, value in points_in(window, at, at):
                return figure(window, when, value)
    return None


def before_and_extreme(window: MetricWindow, onset: datetime, end: datetime) -> tuple[float, Figure] | None:
    """Baseline (median of the points before ``onset``) and the point in [onset, end] furthest from it."""
    earliest = datetime.fromtimestamp(0, UTC)
    before = [v for at, v in points_in(window, earliest, onset) if at < onset]
    during = points_in(window, onset, end)
    if not during:
        return None
    base = median(before) if before else during[0][1]
    at, value = max(during, key=lambda p: (abs(p[1] - base), -p[0].timestamp()))
    return base, figure(window, at, value)


def slo_burn(window: MetricWindow, slo: SloConfig, start: datetime, end: datetime) -> SloBurn | None:
    """Budget share consumed in [start, end] and the peak burn rate, from the error-ratio points."""
    points = points_in(window, start, end)
    if not points:
        return None
    allowed = 1.0 - slo.objective
    window_seconds = slo.window.total_seconds()
    spent = sum(value * window.step_seconds for _, value in points)
    share = spent / (allowed * window_seconds)
    burn = max(value for _, value in points) / allowed
    return SloBurn(
        component=window.component,
        objective=slo.objective,
        window_seconds=window_seconds,
        budget_share=share,
        peak_burn_rate=burn,
        points=len(points),
        objective_text=f"{slo.objective * 100:g}%",
        window_text=fmt.duration(window_seconds),
        budget_text=fmt.percent(share),
        burn_text=fmt.rate(burn),
    )
