"""Small text helpers shared by the widgets: times, ages, tones from the current theme."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import App
from textual.color import Color, ColorParseError

SEVERITY_TONE = {"critical": "error", "error": "error", "high": "error", "warning": "warning", "info": "primary"}
STATUS_TONE = {"triggered": "error", "acknowledged": "warning", "resolved": "success"}
ACTION_TONE = {
    "proposed": "warning",
    "approved": "primary",
    "executing": "primary",
    "succeeded": "success",
    "failed": "error",
    "rejected": "text-muted",
    "unknown": "warning",
}


def tone(app: App[object], name: str | None) -> str:
    """A colour of the current theme by variable name (``error``, ``success``...): readable in
    light and dark themes alike, never a hard-coded colour."""
    if not name:
        return ""
    try:
        return Color.parse(app.theme_variables.get(name, "")).hex
    except ColorParseError:  # e.g. text-muted is "auto 60%": relative to the background
        return "dim"


def toned(app: App[object], text: str, name: str | None, *, bold: bool = False) -> Text:
    style = tone(app, name)
    return Text(text, style=f"bold {style}".strip() if bold else style)


def age(since: datetime, now: datetime) -> str:
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d{seconds % 86400 // 3600}h"


def hhmm(at: datetime) -> str:
    return f"{at:%H:%M:%S}"


def stamp(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC"


def bar(fraction: float, width: int = 10) -> str:
    """A confidence bar, e.g. ``██████░░░░``."""
    filled = max(0, min(width, round(fraction * width)))
    return "█" * filled + "░" * (width - filled)
