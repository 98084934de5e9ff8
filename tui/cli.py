"""The full ``incident`` command: the core CLI (incident/cli.py) plus the terminal UI.

This module is the composition root: it imports the core and plugs the UI into it (the ``tui``
command and the interactive ``demo``), so that ``incident`` and ``connectors`` never import the UI.
"""

from __future__ import annotations

from typing import Any

import incident.cli as core
from incident.cli import app
from incident.cli_support import load, open_store
from incident.tools.cli import register as register_tools


def run_ui(settings: Any, store: Any, *, connectors: Any = None, watcher: Any = None) -> None:
    from tui.app import make_app

    make_app(settings, store, connectors=connectors, watcher=watcher).run()


@app.command("tui")
def tui_cmd() -> None:
    """The terminal UI over the configured store (run `incident watch` alongside it)."""
    from incident.locations import data_dir

    settings = load()
    data_dir().mkdir(parents=True, exist_ok=True)
    core._log_to_file(data_dir() / "tui.log")
    with open_store(settings) as store:
        run_ui(settings, store)


core.interactive_ui = run_ui
register_tools(app)  # sandbox up, demo, eval: the tools the core never imports


def main() -> None:
    core.main()
