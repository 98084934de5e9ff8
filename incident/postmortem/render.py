"""Render the record into Markdown through the bundled Jinja2 template or a team's own.

A team template's mistakes (syntax, an undefined variable, a missing file) raise
:class:`~incident.errors.ConfigError` naming the file and line. Every template, the bundled one
included, renders in Jinja2's sandbox: a template is configuration, never code, so reaching for
``__class__``, ``__globals__`` or other internals is refused before anything runs.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from incident.config import Settings
from incident.errors import ConfigError
from incident.postmortem import fmt
from incident.postmortem.model import PostmortemRecord, RemovedClaim, TimelineItem
from incident.postmortem.prose import EMPTY, Prose

BUNDLED_TEMPLATE = Path(__file__).with_name("templates") / "postmortem.md.j2"


def template_path(settings: Settings) -> Path:
    """``[postmortem] template`` (``~`` expanded), else the bundled template."""
    configured = settings.postmortem.template
    return Path(configured).expanduser() if configured else BUNDLED_TEMPLATE


def cell(text: Any) -> str:
    """One line, safe inside a Markdown table cell or list item."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _environment(directory: Path) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader(directory),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        utc=fmt.utc,
        time=lambda at: fmt.utc(at, date=False),
        duration=fmt.duration,
        pct=lambda share: f"{share:.0%}",
        cell=cell,
    )
    return env


def timeline_rows(items: list[TimelineItem]) -> list[dict[str, Any]]:
    """Times for the timeline: pinned events with their date, the rest with the date where the day changes."""
    rows = []
    day = None
    for item in items:
        when = item.at.strftime("%Y-%m-%d")
        show_date = item.pinned or when != day
        if not item.pinned:
            day = when
        rows.append({"when": fmt.utc(item.at, date=show_date), "item": item})
    return rows


def footer(mode: str, settings: Settings) -> str:
    if mode == "claude":
        agent = settings.agent
        return (
            f"_Generated draft: prose rewritten by Claude ({agent.model}) from the incident record and checked by "
            f"a judge ({agent.effective_judge_model()}); figures, timeline and action items are deterministic. "
            "Blameless: it describes systems and decisions. Review and edit before sharing._"
        )
    return (
        "_Generated draft (deterministic, from the incident record by incident-copilot). "
        "Blameless: it describes systems and decisions. Review and edit before sharing._"
    )


def _template_line(exc: BaseException, path: Path) -> int | None:
    """The template line an error was raised on (Jinja2 puts template lines into the traceback)."""
    line = getattr(exc, "lineno", None)
    tb: TracebackType | None = exc.__traceback__
    target = str(path.resolve())
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name == str(path) or (Path(name).is_absolute() and str(Path(name).resolve()) == target):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render_markdown(
    rec: PostmortemRecord,
    prose: Prose,
    settings: Settings,
    *,
    mode: str = "deterministic",
    notes: list[str] | None = None,
    removed: list[RemovedClaim] | None = None,
) -> str:
    path = template_path(settings)
    if not path.is_file():
        raise ConfigError(f"postmortem.template: {path}: file not found")
    try:
        template = _environment(path.parent).get_template(path.name)
        text = template.render(
            rec=rec,
            prose=prose,
            timeline=timeline_rows(rec.timeline),
            footer=footer(mode, settings),
            notes=[_comment_safe(n) for n in notes or []],
            removed=[
                r.model_copy(update={"text": _comment_safe(r.text), "reason": _comment_safe(r.reason)})
                for r in removed or []
            ],
            empty=EMPTY,
            mode=mode,
        )
    except TemplateSyntaxError as exc:
        raise ConfigError(f"postmortem.template: {path}:{exc.lineno}: {exc.message}") from None
    except Exception as exc:  # a team template is configuration: any error in it is reported as such
        line = _template_line(exc, path)
        where = f"{path}:{line}" if line else str(path)
        message = (exc.message if isinstance(exc, TemplateError) else None) or f"{type(exc).__name__}: {exc}"
        if isinstance(exc, SecurityError):
            message = f"refused by the template sandbox: {message}"
        raise ConfigError(f"postmortem.template: {where}: {message}") from None
    return text.rstrip() + "\n"


def _comment_safe(text: str) -> str:
    """Text that cannot close the HTML comment it is written into."""
    return " ".join(text.split()).replace("--", "- -")
