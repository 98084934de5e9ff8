"""How the draft writes times, durations and shares: one place, so tests and facts agree with the Markdown."""

from __future__ import annotations

from datetime import UTC, datetime


def utc(at: datetime, *, date: bool = True) -> str:
    """``2026-01-13 14:07:00 UTC`` (or ``14:07:00 UTC`` without the date); seconds, no fraction."""
    at = at.astimezone(UTC)
    return f"{at:%Y-%m-%d %H:%M:%S} UTC" if date else f"{at:%H:%M:%S} UTC"


def duration(seconds: float) -> str:
    """``45 s``, ``6 min 30 s``, ``1 h 6 min``, ``3 d 4 h``: the two largest units, rounded down."""
    total = int(max(seconds, 0))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")]
    while len(parts) > 1 and parts[0][0] == 0:
        parts.pop(0)
    shown = [f"{n} {unit}" for n, unit in parts[:2] if n or unit == parts[0][1]]
    return " ".join(shown)


def minutes(seconds: float) -> int:
    """Whole minutes, rounded down (for thresholds stated in minutes)."""
    return int(max(seconds, 0) // 60)


def percent(share: float) -> str:
    """A share of a whole (budget consumed): ``12.3%``, ``0.42%``."""
    pct = share * 100
    return f"{pct:.2g}%" if abs(pct) < 1 else f"{pct:.3g}%"


def rate(value: float) -> str:
    """A burn rate: ``156x``."""
    return f"{value:.3g}x"
