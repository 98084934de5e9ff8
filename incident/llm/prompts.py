"""Prompt templates: ``<directory>/<name>.jinja2`` rendered strictly, and redacted (every prompt leaves the machine)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from incident.redact import redact


def prompt_renderer(directory: Path) -> Callable[..., str]:
    """``render(template, **context)`` over ``directory/<template>.jinja2``; the result is redacted,
    since every prompt leaves the machine."""
    env = Environment(
        loader=FileSystemLoader(directory),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def render(template: str, **context: Any) -> str:
        return redact(env.get_template(f"{template}.jinja2").render(**context)).strip()

    return render


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying how many more there were."""
    if len(text) <= limit:
        return text
    return text[:limit] + f" …[{len(text) - limit} more chars]"
