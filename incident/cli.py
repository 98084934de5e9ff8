"""The ``incident`` command line (typer). Errors print as one panel, never a traceback."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text
from typer.core import TyperGroup

from incident import logformat
from incident.cli_records import records
from incident.cli_support import console, err_console, print_error, state
from incident.cli_support import load as load_settings
from incident.errors import ConfigError, CopilotError


class _GlobalOptionsGroup(TyperGroup):
    """Accepts ``--config``/``-c`` after the subcommand too (``incident list --config F``)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's own (vendored) click Context
        return super().parse_args(ctx, hoist_config(args))


def hoist_config(args: list[str]) -> list[str]:
    """Move ``--config F`` / ``--config=F`` / ``-c F`` found anywhere before ``--`` to the front."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg in ("--config", "-c") and i + 1 < len(args):
            front += args[i : i + 2]
            i += 2
            continue
        if arg.startswith("--config="):
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


app = typer.Typer(
    cls=_GlobalOptionsGroup,
    no_args_is_help=True,
    add_completion=False,
    help="Incident-response copilot for on-call engineers.",
)
runbooks_app = typer.Typer(no_args_is_help=True, help="Validate and list runbooks.")
app.add_typer(runbooks_app, name="runbooks")
app.add_typer(records)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML config file (default: the XDG config file).")
]


@app.callback()
def _main(config: ConfigOption = None, verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    state["config"] = config
    if not logging.getLogger().handlers:  # as logging.basicConfig: a host (pytest, an embedding app) keeps its own
        logformat.configure("text", level=logging.INFO if verbose else logging.WARNING)
    if not verbose:  # vendor clients log every retry; our own messages say what failed
        for name in ("pagerduty", "urllib3", "kubernetes", "httpx", "apscheduler"):
            logging.getLogger(name).setLevel(logging.ERROR)


def wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM (Ctrl-C stops a long-running command cleanly)."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(1):
        pass


def _parse_listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"--listen: expected HOST:PORT, got {value!r}")
    return host, int(port)


@app.command()
def watch(
    listen: Annotated[str | None, typer.Option(help="Also accept webhooks on HOST:PORT.")] = None,
    once: Annotated[bool, typer.Option(help="Poll and gather once, then exit.")] = False,
    log_format: Annotated[
        str, typer.Option("--log-format", help="text, or json: one object per line for log shippers.")
    ] = "text",
) -> None:
    """Poll alert sources, receive webhooks, open incidents and keep their timelines current.

    Logs (stderr) one line per incident opened, gathered, diagnosed and resolved, and per connector failure."""
    from incident.registry import build_connectors
    from incident.store import Store
    from incident.watcher import Watcher

    if log_format not in ("text", "json"):
        raise ConfigError(f"--log-format: expected text or json, got {log_format!r}")
    logformat.configure("json" if log_format == "json" else "text", level=logging.getLogger().level)
    if logging.getLogger("incident").getEffectiveLevel() > logging.INFO:
        logging.getLogger("incident").setLevel(logging.INFO)  # what the watcher does; libraries stay quiet
    settings = load_settings()
    store = Store(settings.store.url)
    watcher = Watcher(settings, store, build_connectors(settings))
    if once:
        opened = watcher.run_once()
        console.print(f"opened {len(opened)} incident(s)")
        watcher.stop()
        return
    server = None
    if listen:
        from incident.listener import Listener, check_exposure

        host, port = _parse_listen(listen)
        check_exposure(host, settings.webhooks)
        server = Listener(watcher, host, port).start()
        console.print(f"webhooks on {server.url}/webhooks/alertmanager and {server.url}/webhooks/pagerduty")
    watcher.start()
    console.print(f"watching; store {store.engine.url.render_as_string(hide_password=True)} (Ctrl-C to stop)")
    try:
        wait_for_signal()
    finally:
        if server:
            server.stop()
        watcher.stop()


@app.command()
def doctor() -> None:
    """Check every configured connector and the store: one line each (credentials masked)."""
    from incident.redact import mask_url, redact
    from incident.registry import build_connectors
    from incident.store import Store

    settings = load_settings()
    failed = False

    def line(status: str, style: str, name: str, detail: str) -> None:
        text = Text(f"{status:<4} ", style=style)
        text.append(f"{name}: {' '.join(redact(detail).split())}")
        console.print(text, soft_wrap=True)

    try:
        Store(settings.store.url).close()
        line("ok", "green", "store", mask_url(settings.store.url))
    except CopilotError as exc:
        failed = True
        line("FAIL", "red", "store", exc.message)
    connectors = build_connectors(settings)
    for result in connectors.check_all():
        if result.ok:
            line("ok", "green", result.name, result.detail)
        elif result.name not in connectors.disabled:
            failed = True
            line("FAIL", "red", result.name, result.detail)
        else:
            line("off", "dim", result.name, result.detail)
    _doctor_quarantine(settings.store.url)
    raise typer.Exit(1 if failed else 0)


def _doctor_quarantine(url: str) -> None:
    """Alerts refused as invalid: listed so a bad alert is never silently dropped."""
    from incident.app.queries import doctor_quarantine
    from incident.store import Store

    try:
        store = Store(url)
    except CopilotError:
        return  # the store line already says why
    try:
        lines = doctor_quarantine(store)
    finally:
        store.close()
    for index, detail in enumerate(lines):
        text = Text("warn " if index == 0 else "     ", style="yellow")
        text.append(("alerts: " if index == 0 else "") + detail)
        console.print(text, soft_wrap=True, markup=False, highlight=False)


def log_to_file(path: Path) -> None:
    """While a full-screen UI runs, log lines go to a file instead of over the screen."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    path.parent.mkdir(parents=True, exist_ok=True)  # the data directory of a fresh machine
    handler = logging.FileHandler(path)
    handler.setFormatter(logformat.RedactingFormatter())
    root.addHandler(handler)


_log_to_file = log_to_file  # the old private name, still used by tui/cli.py

UIRunner = Callable[..., None]
interactive_ui: UIRunner | None = None
"""Runs the terminal UI: ``(settings, store, *, connectors=None, watcher=None)``. Set by the
``tui`` package, which is the composition root of the full ``incident`` command (tui/cli.py); the
core never imports the UI. Read by the ``demo`` tool command (incident/tools/cli.py), which prints
the timeline instead when it is unset."""


def _runbook_set(directory: Path | None):  # type: ignore[no-untyped-def]
    from incident.runbooks import configured_runbooks, load_runbooks

    return load_runbooks([directory], bundled=False) if directory else configured_runbooks(load_settings().runbooks)


@runbooks_app.command("check")
def runbooks_check(
    directory: Annotated[
        Path | None, typer.Argument(help="Runbook directory (default: bundled plus configured).")
    ] = None,
) -> None:
    """Validate runbooks: every problem with file and line; exit 1 when there is any."""
    result = _runbook_set(directory)
    for problem in result.problems:
        console.print(str(problem), markup=False, highlight=False, soft_wrap=True)
    files = len(result.files)
    if result.problems:
        bad = len({p.file for p in result.problems})
        console.print(f"{len(result.problems)} problem(s) in {bad} of {files} file(s)", style="red")
        raise typer.Exit(1)
    console.print(f"ok: {len(result)} runbook(s) in {files} file(s), no problems", style="green")


@runbooks_app.command("list")
def runbooks_list(
    directory: Annotated[
        Path | None, typer.Argument(help="Runbook directory (default: bundled plus configured).")
    ] = None,
) -> None:
    """List the runbooks that load, with what they match."""
    from rich.table import Column, Table

    result = _runbook_set(directory)
    table = Table(Column("id", no_wrap=True), "title", "matches", "steps")
    for rb in result:
        m = rb.matches
        matches = [*m.kinds, *(f"alert:{a}" for a in m.alerts), *(f"{k}={v}" for k, v in m.labels.items())]
        if rb.components:
            matches.append("components:" + ",".join(rb.components))
        table.add_row(rb.id, rb.title, " ".join(matches), str(len(rb.steps)))
    console.print(table)
    if result.problems:
        err_console.print(f"{len(result.problems)} problem(s); run 'incident runbooks check'", style="yellow")


def main() -> None:
    try:
        app()
    except CopilotError as exc:
        print_error(exc)
        sys.exit(2)
