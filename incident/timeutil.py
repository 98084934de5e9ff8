"""RFC 3339 times as the APIs we speak write them (moved to :mod:`connectors.common.timeutil`)."""

from __future__ import annotations

from connectors.common.timeutil import parse_time, rfc3339  # home: connectors/common/timeutil.py

__all__ = ["parse_time", "rfc3339"]
