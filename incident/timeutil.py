"""RFC 3339 times as the APIs we speak write them (moved to :mod:`connectors.common.timeutil`)."""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.common.timeutil import parse_time, rfc3339  # home: connectors/common/timeutil.py

__all__ = ["as_utc", "parse_time", "rfc3339"]


def as_utc(at: datetime) -> datetime:
    """A stored time (SQLite gives them back naive) as aware UTC."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)
