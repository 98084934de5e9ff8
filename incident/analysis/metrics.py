"""Metric localisation: which components' signals left their own baseline around the page.

Each (component, signal) series is split at ``page - recent``: the part before is the baseline,
summarised robustly (median, IQR, MAD), the part after is scored by how many robust scales it
sits from the baseline median. Signals where "up" is bad count only upward moves; request rate
counts both ways (a surge or a collapse).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from incident.analysis.context import AnalysisInput, Series

RECENT = timedelta(minutes=5)
MIN_BASELINE = 5
TWO_SIDED = {"request_rate"}


@dataclass(frozen=True)
class Anomaly:
    component: str
    signal: str
    window_id: str
    score: float
    """Robust z of the most deviant recent point (0 when none)."""
    before: float
    peak: float
    direction: str
    onset: float | None
    """Unix time of the first recent point beyond 3 robust scales."""


RATIO_FLOOR = 0.002
"""Ratios (error ratio) near zero: a move below 0.2 percentage points is not a departure."""


def robust_scale(baseline: np.ndarray, signal: str = "") -> tuple[float, float]:
    med = float(np.median(baseline))
    q75, q25 = np.percentile(baseline, [75, 25])
    mad = 1.4826 * float(np.median(np.abs(baseline - med)))
    floor = RATIO_FLOOR if signal.endswith("ratio") else 1e-9
    scale = max(float(q75 - q25) / 1.349, mad, abs(med) * 0.02, floor)
    return med, scale


def score_series(series: Series, page_at: datetime, recent: timedelta = RECENT) -> Anomaly | None:
    cut = (page_at - recent).timestamp()
    end = page_at.timestamp()
    base_mask = series.ts < cut
    recent_mask = (series.ts >= cut) & (series.ts <= end)
    baseline, latest = series.values[base_mask], series.values[recent_mask]
    if baseline.size < MIN_BASELINE or latest.size == 0:
        return None
    med, scale = robust_scale(baseline, series.signal)
    z = (latest - med) / scale
    if series.signal in TWO_SIDED:
        idx = int(np.argmax(np.abs(z)))
        score = float(abs(z[idx]))
    else:
        idx = int(np.argmax(z))
        score = max(float(z[idx]), 0.0)
    beyond = np.nonzero(np.abs(z) > 3)[0]
    onset = float(series.ts[recent_mask][beyond[0]]) if beyond.size else None
    return Anomaly(
        component=series.component,
        signal=series.signal,
        window_id=series.window_id,
        score=score,
        before=med,
        peak=float(latest[idx]),
        direction="up" if latest[idx] >= med else "down",
        onset=onset,
    )


def localise(data: AnalysisInput, recent: timedelta = RECENT) -> dict[str, list[Anomaly]]:
    """Every component's anomalies, strongest first."""
    out: dict[str, list[Anomaly]] = {}
    for component, signals in data.series.items():
        found = [a for s in signals.values() if (a := score_series(s, data.page_at, recent)) is not None]
        found = [a for a in found if a.score > 0]
        out[component] = sorted(found, key=lambda a: a.score, reverse=True)
    return out
