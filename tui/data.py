"""The UI's clock. What the TUI reads and does goes through :mod:`incident.app` (queries and
commands); only the time it stamps notes and ages with is its own, so tests can pin it."""

from __future__ import annotations

from datetime import datetime

from incident import clock


def now() -> datetime:
    """The UI's clock (ages, note times; shifted in a scenario replay); tests pin it."""
    return clock.now()
