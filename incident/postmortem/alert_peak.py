"""The error ratio a paging alert itself reported: its value and the threshold it fired on.

A stored metric window's step can hide the level the alert evaluated (points a minute apart, a ratio still
climbing at the page), so a draft reading only the window could report a peak below the threshold that
fired. The alert's own annotations settle it: a failed-requests alert saying ``7.4% ... (threshold 5%)``
(or carrying ``value`` / ``threshold`` annotations) stands in for stored points that never reach 5%.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from incident.changepoints import format_value, signal_label
from incident.models import Alert
from incident.postmortem.model import Figure

_ERRORS = re.compile(r"\b(5xx|errors?|fail(?:s|ed|ing|ures?)?)\b", re.I)
_THRESHOLD = re.compile(r"threshold\D{0,12}?(\d+(?:\.\d+)?)\s*%", re.I)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")


@dataclass(frozen=True)
class AlertRatio:
    """What one error-ratio alert said: value and threshold as ratios (0.05 for 5%), either may be missing."""

    alert: str
    component: str
    at: datetime
    value: float | None
    threshold: float | None

    @property
    def fired_at(self) -> float:
        """The level the stored points must reach to show what fired: the threshold, else the value."""
        return self.threshold if self.threshold is not None else max(self.value or 0.0, 0.0)

    @property
    def floor(self) -> float:
        """The least the error ratio was when the alert fired."""
        return max(v for v in (self.value, self.threshold) if v is not None)


def _ratio(text: str | None) -> float | None:
    """``"7.4%"`` -> 0.074, ``"0.074"`` -> 0.074; None when not a number."""
    if not text:
        return None
    text = text.strip()
    try:
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        return None


def alert_ratio(alert: Alert) -> AlertRatio | None:
    """The error ratio ``alert`` reported, when it is an alert on failed requests that says so."""
    annotations = {str(k): str(v) for k, v in (alert.annotations or {}).items()}
    labels = {str(k): str(v) for k, v in (alert.labels or {}).items()}
    words = " ".join([alert.name, annotations.get("summary", ""), annotations.get("description", "")])
    if not alert.component or not _ERRORS.search(words):
        return None
    value = _ratio(annotations.get("value") or labels.get("value"))
    threshold = _ratio(annotations.get("threshold") or labels.get("threshold"))
    description = annotations.get("description", "")
    found = _THRESHOLD.search(description)
    if threshold is None and found:
        threshold = float(found.group(1)) / 100
    if value is None:
        rest = description[: found.start()] + description[found.end() :] if found else description
        first = _PERCENT.search(rest)
        value = float(first.group(1)) / 100 if first else None
    if value is None and threshold is None:
        return None
    return AlertRatio(alert.name, alert.component, alert.starts_at, value, threshold)


def floor_peak(peak: Figure | None, alerts: Iterable[Alert], affected: Iterable[str]) -> Figure | None:
    """``peak``, or the error ratio an alert on an affected component reported when the stored points
    never reach the level it fired at (their step hid it): the reported peak is never below what fired.
    A stored peak at or above that level stays, even below the alert's own value (another window)."""
    scope = set(affected)
    reported = [r for a in alerts if (r := alert_ratio(a)) is not None and r.component in scope]
    if not reported:
        return peak
    top = max(reported, key=lambda r: (r.fired_at, r.floor, -r.at.timestamp()))
    if peak is not None and peak.value >= top.fired_at:
        return peak
    said = f"the threshold {top.alert} fired on" if top.value is None else f"as {top.alert} reported"
    if peak is not None:
        said += f"; the stored points reach {peak.text}"
    text = ("at least " if top.value is None else "") + f"{format_value('error_ratio', top.floor)} ({said})"
    return Figure(
        component=top.component,
        signal="error_ratio",
        value=top.floor,
        at=top.at,
        text=text,
        label=signal_label("error_ratio"),
    )
