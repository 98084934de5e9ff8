"""Metric departures: where did each series leave its own baseline, and is it still out at the page?

Every (component, signal) series is first segmented (``ruptures``' kernel change-point detection on
the series scaled by its own noise), so each series gets its *own* onset instead of one cut shared
by all. The departure is the run of segments that ends at the page and sits away from the points
before it: a fault that started and ended earlier is a closed segment behind the last one and
does not count. The baseline is every point before the onset, summarised robustly (median and a
spread that tolerates earlier incidents inside the window), and the score is how many robust
scales the *sustained* level after the onset sits from it, not its single worst point.

Signals where "up" is bad count only upward moves; request rate counts both ways (a surge or a
collapse). A departure seen on one sample only (a spike, or an onset too fresh to confirm) and
one that began long before the page are discounted rather than dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from incident.analysis.context import AnalysisInput, Series
from incident.analysis.pelt import change_points

HORIZON = timedelta(minutes=15)
"""How long before the page a departure may begin and still be this page's (at least 3 samples)."""
MIN_BASELINE = 3
MIN_POINTS = MIN_BASELINE + 1
TWO_SIDED = {"request_rate"}
PENALTY = 12.0
"""Change-point penalty, in squared noise units (a shift must be worth ~3.5 sigma on one point)."""
CLIP = 40.0
"""Noise units beyond which a point counts as far out; keeps one spike from owning the segmentation."""
DEPARTED = 3.0
"""Robust z from which a segment counts as departed."""
RAMP_SHARE = 0.2
"""An earlier segment joins the departure only when it is at least this share of the last one (a ramp's
steps), so a slow drift before a sharp rise does not drag the onset back and dilute the level."""
SINGLE_SAMPLE = 0.6
"""Weight of a departure confirmed by one sample only."""
OLD = 0.35
"""Weight of a departure that began before the horizon (still out, but not what just changed)."""
FLAT = 0.1
"""On a baseline that never moved, a departure is scored as a share of its level: at most 1 / FLAT scales."""
RATIO_FLOOR = 0.002
"""Ratios (error ratio) near zero: their noise scale is at least 0.2 percentage points."""
RELATIVE_FLOOR = 0.02
"""The noise scale is at least 2% of the baseline level, however quiet the series."""
TRIM = 5.0
"""Baseline points this many scales from its bulk are earlier incidents, left out of the scale."""


@dataclass(frozen=True)
class Anomaly:
    component: str
    signal: str
    window_id: str
    score: float
    """Robust z of the sustained level since the onset, weighted by how sure the departure is (0 when none)."""
    before: float
    peak: float
    direction: str
    onset: float | None
    """Unix time the departure that is still ongoing at the page began (None when there is none)."""
    samples: int = 0
    """Samples since the onset."""
    level: float = 0.0
    """Median value since the onset."""
    step: float = 60.0
    """The series' sampling interval in seconds."""


def median(values: np.ndarray) -> float:
    """``np.median`` of a non-empty 1-D float array without its per-call overhead (a page of a large
    system scores thousands of short series)."""
    ordered = np.sort(values, axis=None)
    mid = ordered.size // 2
    return float(ordered[mid]) if ordered.size % 2 else float((ordered[mid - 1] + ordered[mid]) / 2)


def robust_scale(baseline: np.ndarray, signal: str = "") -> tuple[float, float]:
    """Median and noise scale of ``baseline`` after setting aside earlier incidents inside it.

    A first pass (median, MAD, first-difference noise) marks the bulk; points more than
    ``TRIM`` scales from it are earlier departures, not normal behaviour, and are left out of
    the median, IQR, MAD and noise that give the scale. Floors keep a quiet series from making
    a tiny move look large.
    """
    floor = max(RATIO_FLOOR if signal.endswith("ratio") else 1e-9, abs(float(median(baseline))) * RELATIVE_FLOOR)
    med, first = _bulk(baseline, floor)
    bulk = baseline[np.abs(baseline - med) <= TRIM * first]
    if bulk.size >= MIN_BASELINE:
        baseline = bulk
    med, scale = _bulk(baseline, floor)
    q25, q75 = np.percentile(baseline, [25, 75])
    return med, max(scale, float(q75 - q25) / 1.349)


def _bulk(values: np.ndarray, floor: float) -> tuple[float, float]:
    med = float(median(values))
    mad = 1.4826 * float(median(np.abs(values - med)))
    diffs = np.abs(np.diff(values))
    noise = 1.4826 * float(median(diffs)) / math.sqrt(2) if diffs.size else 0.0
    return med, max(mad, noise, floor)


def _trimmed(baseline: np.ndarray, med: float, scale: float) -> np.ndarray:
    return baseline[np.abs(baseline - med) <= TRIM * scale]


def degenerate(baseline: np.ndarray) -> bool:
    """A baseline without any variation (no traffic, a constant bucket): noise units mean nothing there."""
    return bool(np.ptp(baseline) <= 1e-12 * max(1.0, float(np.max(np.abs(baseline)))))


def _segments(values: np.ndarray) -> list[int]:
    """Start indices of the series' segments (the first is 0), found by kernel change-point detection."""
    med = float(median(values))
    diffs = np.abs(np.diff(values))
    sigma = 1.4826 * float(median(diffs)) / math.sqrt(2) if diffs.size else 0.0
    sigma = max(sigma, 1.4826 * float(median(np.abs(values - med))), abs(med) * RELATIVE_FLOOR, 1e-9)
    z = np.clip((values - med) / sigma, -CLIP, CLIP).reshape(-1, 1)
    ends = change_points(z, PENALTY)
    return [0, *(int(e) for e in ends[:-1])]


def _signed(z: np.ndarray, signal: str) -> np.ndarray:
    return np.abs(z) if signal in TWO_SIDED else z


def score_series(series: Series, page_at: datetime, horizon: timedelta = HORIZON) -> Anomaly | None:
    """The departure of ``series`` that is still ongoing at the page, or None when it cannot tell."""
    end = page_at.timestamp()
    keep = series.ts <= end
    ts, vs = series.ts[keep], series.values[keep]
    finite = np.isfinite(vs)
    ts, vs = ts[finite], vs[finite]
    if vs.size < MIN_POINTS:
        return None
    step = float(median(np.diff(ts)))
    if end - ts[-1] > 2.5 * step:  # the series went quiet before the page: it says nothing about now
        return None
    starts = _segments(vs)
    onset = starts[-1]
    # earlier segments that moved the same way and led straight into the last one belong to the departure
    for prev in reversed(starts[:-1]):
        if onset - prev > 0 and prev >= MIN_BASELINE:
            med, scale = robust_scale(vs[:prev], series.signal)
            seg = (vs[prev:onset] - med) / scale
            last = (vs[onset:] - med) / scale
            same_way = np.sign(median(seg)) == np.sign(median(last))
            # a step of the same rise, not a slow drift that happened to precede it
            comparable = float(median(_signed(seg, series.signal))) >= max(
                DEPARTED, RAMP_SHARE * float(median(_signed(last, series.signal)))
            )
            if same_way and comparable:
                onset = prev
                continue
        break
    if onset < MIN_BASELINE:  # no usable change point: compare the last sample with the rest
        onset = vs.size - 1
    med, scale = robust_scale(vs[:onset], series.signal)
    if not series.signal.endswith("ratio") and degenerate(_trimmed(vs[:onset], med, scale)):
        # a baseline that never moved: measure the move against the levels instead (at most ~1/FLAT scales)
        scale = max(scale, FLAT * float(np.max(np.abs(vs[onset:]))), FLAT * abs(med))
    z = (vs[onset:] - med) / scale
    level = float(median(z))
    if series.signal not in TWO_SIDED:
        level = max(level, 0.0)
    score = abs(level)
    if z.size == 1:
        score *= SINGLE_SAMPLE
    if ts[onset] < end - max(horizon.total_seconds(), 3 * step):
        score *= OLD
    return _anomaly(series, score, vs, onset, ts, med=med)


def _anomaly(
    series: Series, score: float, vs: np.ndarray, onset: int, ts: np.ndarray, med: float | None = None
) -> Anomaly:
    before = float(median(vs[:onset])) if med is None else med
    after = vs[onset:]
    idx = int(np.argmax(np.abs(after - before))) if series.signal in TWO_SIDED else int(np.argmax(after))
    level = float(median(after))
    return Anomaly(
        component=series.component,
        signal=series.signal,
        window_id=series.window_id,
        score=score,
        before=before,
        peak=float(after[idx]),
        direction="up" if level >= before else "down",
        onset=float(ts[onset]) if score > 0 else None,
        samples=int(after.size),
        level=level,
        step=float(median(np.diff(ts))) if ts.size > 1 else 60.0,
    )


def localise(data: AnalysisInput, horizon: timedelta = HORIZON) -> dict[str, list[Anomaly]]:
    """Every component's ongoing departures, strongest first."""
    out: dict[str, list[Anomaly]] = {}
    for component, signals in data.series.items():
        found = [a for s in signals.values() if (a := score_series(s, data.page_at, horizon)) is not None]
        found = [a for a in found if a.score > 0]
        out[component] = sorted(found, key=lambda a: a.score, reverse=True)
    return out
