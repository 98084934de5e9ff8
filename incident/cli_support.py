"""What every ``incident`` command shares: the consoles, the loaded settings, the store."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.panel import Panel

from incident.errors import CopilotError

if TYPE_CHECKING:
    from incident.config import Settings
    from incident.store import Store

PIPED_WIDTH = 1000
"""Width of a console that is not a terminal (piped, redirected) when ``COLUMNS`` is unset: rich would
wrap at 80 columns, splitting table rows that ``grep`` and ``awk`` read line by line."""


def make_console(*, stderr: bool = False) -> Console:
    """A console on stdout (or stderr) that wraps at the terminal's width, and not at all when piped."""
    stream = sys.stderr if stderr else sys.stdout
    piped = not (hasattr(stream, "isatty") and stream.isatty())
    return Console(stderr=stderr, width=PIPED_WIDTH if piped and "COLUMNS" not in os.environ else None)


console = make_console()
err_console = make_console(stderr=True)
state: dict[str, Path | None] = {"config": None}
"""``--config`` of this invocation (set by the app's callback)."""


def load(overlays: list[dict[str, Any]] | None = None, *, user_file: bool = True) -> Settings:
    """The settings of this invocation; a replay's clock offset takes effect here."""
    from incident import clock
    from incident.config import load_settings

    settings = load_settings(state["config"], overlays=overlays, user_file=user_file)
    clock.set_offset(settings.replay.clock_offset_seconds)
    return settings


@contextmanager
def open_store(settings: Settings | None = None) -> Iterator[Store]:
    """The configured store, closed when the command is done."""
    from incident.store import Store

    store = Store((settings or load()).store.url)
    try:
        yield store
    finally:
        store.close()


def print_error(exc: CopilotError) -> None:
    """A deliberate error as one red panel on stderr, never a traceback."""
    err_console.print(Panel(exc.message, title=exc.title, border_style="red", expand=False))
