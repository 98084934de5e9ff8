"""Metric change points: where did a component's signal leave its own baseline?

One level shift per series, found by the split that maximises the CUSUM-style statistic
``|mean_after - mean_before| * sqrt(k (n - k) / n) / sigma`` where sigma is a robust noise
estimate from first differences (insensitive to the shift itself). The shift is then checked
with medians so a single spike is not reported as a change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

MIN_BEFORE = 5
MIN_AFTER = 2
MIN_SCORE = 6.0
MIN_RELATIVE = 0.25
"""A change must move the median by at least this share of the baseline (or of the noise floor)."""


@dataclass(frozen=True)
class ChangePoint:
    component: str
    signal: str
    onset: datetime
    before: float
    after: float
    score: float
    """How many noise-sigmas the shift is worth (higher is more certain)."""

    @property
    def direction(self) -> str:
        return "up" if self.after > self.before else "down"

    @property
    def relative(self) -> float:
        base = abs(self.before) or 1e-12
        return (self.after - self.before) / base


def _median(values: np.ndarray) -> float:
    """``np.median`` of a non-empty 1-D array of finite floats, without its per-call overhead
    (a page of a large system runs this on thousands of short series)."""
    ordered = np.sort(values)
    mid = ordered.size // 2
    if ordered.size % 2:
        return float(ordered[mid])
    return float((ordered[mid - 1] + ordered[mid]) / 2)


def robust_sigma(values: np.ndarray) -> float:
    diffs = np.abs(np.diff(values))
    if diffs.size == 0:
        return 0.0
    return float(1.4826 * _median(diffs) / math.sqrt(2))


def detect(
    component: str,
    signal: str,
    points: tuple[tuple[float, float], ...] | list[tuple[float, float]],
    *,
    onset_after: float | None = None,
) -> ChangePoint | None:
    """The most significant level shift in ``points``, or None when there is none worth reporting.

    With ``onset_after`` (unix seconds) only shifts starting at or after it are considered: the
    on-call question is what changed around the page, not an hour before it.
    """
    if len(points) < MIN_BEFORE + MIN_AFTER:
        return None
    pairs = np.array(points, dtype=float)
    ts, vs = pairs[:, 0], pairs[:, 1]
    n = vs.size
    k = np.arange(MIN_BEFORE, n - MIN_AFTER + 1)
    if onset_after is not None:
        k = k[ts[k] >= onset_after]
        if k.size == 0:
            return None
    csum = np.concatenate(([0.0], np.cumsum(vs)))
    mean_before = csum[k] / k
    mean_after = (csum[n] - csum[k]) / (n - k)
    stat = np.abs(mean_after - mean_before) * np.sqrt(k * (n - k) / n)
    best = int(k[int(np.argmax(stat))])
    before, after = vs[:best], vs[best:]
    med_before, med_after = _median(before), _median(after)
    scale = max(robust_sigma(before), 1.4826 * _median(np.abs(before - med_before)))
    floor = max(abs(med_before) * 0.01, 1e-9)
    sigma = max(scale, floor)
    shift = med_after - med_before
    score = abs(shift) / sigma * math.sqrt(min(best, n - best))
    if score < MIN_SCORE:
        return None
    if abs(shift) < MIN_RELATIVE * max(abs(med_before), 3 * sigma):
        return None
    # the onset is the first sample after the split that has already left the baseline band
    first = max(best - 2, 1)
    left = np.flatnonzero(np.abs(vs[first:] - med_before) > abs(shift) / 2)
    onset_idx = first + int(left[0]) if left.size else best
    return ChangePoint(
        component=component,
        signal=signal,
        onset=datetime.fromtimestamp(ts[onset_idx], UTC),
        before=med_before,
        after=med_after,
        score=round(score, 2),
    )


_LABELS = {
    "request_rate": "request rate",
    "error_ratio": "error ratio",
    "latency_p50": "p50 latency",
    "latency_p90": "p90 latency",
    "latency_p99": "p99 latency",
    "cpu": "CPU",
    "memory": "memory",
    "restarts": "restarts",
}


def signal_label(signal: str) -> str:
    return _LABELS.get(signal, signal.replace("_", " "))


def format_value(signal: str, value: float, *, standard_units: bool = True) -> str:
    """Human units for the standard signals; three significant digits for the rest.

    ``standard_units=False`` (custom PromQL, unknown units) keeps only ratio formatting.
    """
    if not standard_units and signal != "error_ratio":
        return f"{value:.3g}"
    if signal == "error_ratio" or signal.endswith("_ratio"):
        pct = value * 100
        return f"{pct:.2g}%" if abs(pct) < 1 else f"{pct:.3g}%"
    if signal.startswith("latency"):
        return f"{value * 1000:.0f} ms" if abs(value) < 1 else f"{value:.2f} s"
    if signal == "memory":
        for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
            if abs(value) >= size:
                return f"{value / size:.3g} {unit}"
        return f"{value:.0f} B"
    if signal == "cpu":
        return f"{value:.3g} cores"
    if signal == "request_rate":
        return f"{value:.3g} req/s"
    return f"{value:.3g}"


def describe(change: ChangePoint, *, standard_units: bool = True) -> str:
    """e.g. ``error ratio 0.2% -> 11% from 14:03 UTC on checkout``."""
    before = format_value(change.signal, change.before, standard_units=standard_units)
    after = format_value(change.signal, change.after, standard_units=standard_units)
    return f"{signal_label(change.signal)} {before} -> {after} from {change.onset:%H:%M} UTC on {change.component}"
