"""XDG locations for config and data (overridable with XDG_* variables)."""

from __future__ import annotations

import os
from pathlib import Path

APP = "incident-copilot"


def _xdg(var: str, default: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else Path.home() / default


def config_dir() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config") / APP


def config_file() -> Path:
    return config_dir() / "config.toml"


def data_dir() -> Path:
    return _xdg("XDG_DATA_HOME", ".local/share") / APP


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'incidents.db'}"
