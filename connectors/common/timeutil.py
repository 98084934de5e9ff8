"""RFC 3339 times as the APIs we speak write them, to and from aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def parse_time(value: Any) -> datetime | None:
    """RFC 3339 (``Z`` or an offset, optional fraction; a naive value is UTC) -> aware UTC datetime.

    Anything else (None, empty, garbage) -> None; callers that must refuse bad input check for it.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def rfc3339(at: datetime) -> str:
    """Second-precision ``...Z`` form, as Kubernetes and PagerDuty write it."""
    return at.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_time_strict(value: Any) -> datetime:
    """RFC 3339 (``Z`` or an offset; a naive value is UTC) -> aware UTC datetime, as PagerDuty writes
    it; ValueError for anything else (a datetime passes through, made UTC)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        parsed = datetime.fromisoformat(value)
    else:
        raise ValueError(f"not a timestamp: {value!r}")
    try:
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-01:00 is past the last representable UTC time
        raise ValueError(f"timestamp out of range: {value!r}") from None
