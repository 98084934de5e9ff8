"""Building blocks of config sections: a strict base model and a duration type.

Each connector declares its section (``connectors/<name>/config.py``) from these;
the core composes the sections into the copilot's settings.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_duration(value: Any) -> timedelta:
    """Accept ``90``, ``"90s"``, ``"5m"``, ``"1h"``, ``"2d"`` or a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=float(value))
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
    raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 5m, 1h)")


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class Section(BaseModel):
    """A config section: unknown keys are errors and defaults are validated too."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


class RequestBudget(Section):
    """The limits of one request, shared by every connector that calls an HTTP API."""

    timeout: Duration = timedelta(seconds=10)
    deadline: Duration = timedelta(seconds=20)
    """Wall-clock limit of one request, connect to last byte (``timeout`` only limits each read)."""
    max_answer_bytes: int = Field(default=32 * 2**20, ge=1024)
    """Largest answer accepted; a larger one is cut off while it streams in and fails the call."""
