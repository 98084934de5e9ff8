"""The copilot's clock: wall-clock UTC, shifted in a scenario replay so that what people do
during a replay (approvals, notes, resolution) lands minutes after the recorded page, not months.

The offset is process-wide and set once at start-up from ``[replay] clock_offset_seconds``
(the sandbox writes it: page time minus the moment the sandbox started). Zero in production.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def set_offset(seconds: float) -> None:
    global _offset
    _offset = timedelta(seconds=seconds)


def offset() -> timedelta:
    return _offset


def now() -> datetime:
    """Timezone-aware UTC "now" of this copilot (the wall clock plus the replay offset)."""
    return datetime.now(UTC) + _offset
