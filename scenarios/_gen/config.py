"""A scenario's config.toml: the copilot's default signals plus custom ones."""

from __future__ import annotations

from incident.config import DEFAULT_SIGNALS


def _quote(query: str) -> str:
    return "'" + query + "'" if "'" not in query else '"' + query.replace('"', '\\"') + '"'


def signals_toml(comment: str, **extra: str) -> str:
    """``[metrics.signals]`` replaces the defaults, so they are restated before the extra ones."""
    lines = [f"# {comment}", "[metrics]", 'component_label = "service"', "", "[metrics.signals]"]
    signals = {name: q.format(label="service") for name, q in DEFAULT_SIGNALS.items()} | extra
    lines.extend(f"{name} = {_quote(q)}" for name, q in signals.items())
    return "\n".join(lines) + "\n"
