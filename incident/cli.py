"""The ``incident`` command line (typer). Errors print as one panel, never a traceback."""

from __future__ import annotations

import logging
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from incident.cli_records import print_incident_by_ref, records
from incident.cli_support import console, err_console, print_error, state
from incident.cli_support import load as load_settings
from incident.errors import ConfigError, CopilotError

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Incident-response copilot for on-call engineers.")
sandbox_app = typer.Typer(no_args_is_help=True, help="Run a scenario's stand-ins locally.")
app.add_typer(sandbox_app, name="sandbox")
runbooks_app = typer.Typer(no_args_is_help=True, help="Validate and list runbooks.")
app.add_typer(runbooks_app, name="runbooks")
app.add_typer(records)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML config file (default: the XDG config file).")
]


@app.callback()
def _main(config: ConfigOption = None, verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    state["config"] = config
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:  # vendor clients log every retry; our own messages say what failed
        for name in ("pagerduty", "urllib3", "kubernetes", "httpx", "apscheduler"):
            logging.getLogger(name).setLevel(logging.ERROR)


def default_scenarios_dir() -> Path:
    env = os.environ.get("INCIDENT_SCENARIOS_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "scenarios"


DEFAULT_SCENARIO = "checkout-bad-deploy"


def _wait_for_signal() -> None:
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
) -> None:
    """Poll alert sources, receive webhooks, open incidents and keep their timelines current."""
    from incident.registry import build_connectors
    from incident.store import Store
    from incident.watcher import Watcher

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
        _wait_for_signal()
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
    from incident.quarantine import doctor_lines
    from incident.store import Store

    try:
        store = Store(url)
    except CopilotError:
        return  # the store line already says why
    try:
        with store.session() as session:
            lines = doctor_lines(session)
    finally:
        store.close()
    for index, detail in enumerate(lines):
        text = Text("warn " if index == 0 else "     ", style="yellow")
        text.append(("alerts: " if index == 0 else "") + detail)
        console.print(text, soft_wrap=True, markup=False, highlight=False)


@sandbox_app.command("up")
def sandbox_up(
    scenario: Annotated[Path, typer.Argument(help="Scenario directory.")],
    config_out: Annotated[Path | None, typer.Option(help="Also write the config to this file.")] = None,
    webhook_url: Annotated[str | None, typer.Option(help="Alertmanager sends webhooks here.")] = None,
) -> None:
    """Start the stand-ins for SCENARIO, print the config that points a watcher at them, run until Ctrl-C."""
    from incident.config import dump_toml
    from incident.sandbox.runner import Sandbox
    from incident.scenario import load_scenario

    sc = load_scenario(scenario)
    with Sandbox(sc, webhook_url=webhook_url) as box:
        text = dump_toml(box.config())
        if config_out:
            config_out.write_text(text)
        console.print(f"# sandbox for {sc.name}; page at {sc.page_at:%Y-%m-%d %H:%M:%S} UTC")
        for part, reason in box.notes.items():
            console.print(f"# note: {part}: {reason}")
        console.print(text, markup=False, highlight=False)
        console.print("# Ctrl-C to stop", style="dim")
        _wait_for_signal()


def _log_to_file(path: Path) -> None:
    """While a full-screen UI runs, log lines go to a file instead of over the screen."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)


UIRunner = Callable[..., None]
interactive_ui: UIRunner | None = None
"""Runs the terminal UI: ``(settings, store, *, connectors=None, watcher=None)``. Set by the
``tui`` package, which is the composition root of the full ``incident`` command (tui/cli.py); the
core never imports the UI, so without it ``demo`` prints instead."""


@app.command()
def demo(
    headless: Annotated[bool, typer.Option(help="Print the timeline instead of opening the terminal UI.")] = False,
    scenario: Annotated[Path | None, typer.Option(help="Scenario directory (default: the bundled default).")] = None,
    store_url: Annotated[str | None, typer.Option("--store", help="SQLAlchemy URL (default: a temp file).")] = None,
) -> None:
    """Run the default scenario end to end: sandbox, watcher, and the terminal UI (or, with
    --headless or when stdout is not a terminal, the printed timeline)."""
    from incident.registry import build_connectors
    from incident.sandbox.runner import Sandbox
    from incident.scenario import load_scenario
    from incident.store import Store
    from incident.watcher import Watcher

    if not headless and not sys.stdout.isatty():
        err_console.print("stdout is not a terminal: printing the timeline instead of opening the UI (--headless)")
        headless = True
    if not headless and interactive_ui is None:
        err_console.print("the terminal UI is not loaded (run the `incident` command): printing the timeline")
        headless = True
    path = scenario or default_scenarios_dir() / DEFAULT_SCENARIO
    sc = load_scenario(path)
    tmp = tempfile.TemporaryDirectory(prefix="incident-demo-")
    url = store_url or f"sqlite:///{Path(tmp.name) / 'demo.db'}"
    err_console.print(f"[bold]incident demo[/]: scenario {sc.name}, page at {sc.page_at:%Y-%m-%d %H:%M} UTC")
    with Sandbox(sc) as box:
        for part, reason in box.notes.items():
            err_console.print(f"  note: {part}: {reason}", style="yellow")
        settings = load_settings([box.config(store_url=url)], user_file=False)
        store = Store(settings.store.url)
        connectors = build_connectors(settings)
        watcher = Watcher(settings, store, connectors)
        try:
            if headless:
                _demo_headless(sc, store, watcher)
            else:
                _log_to_file(Path(tmp.name) / "demo.log")
                watcher.start()
                assert interactive_ui is not None
                interactive_ui(settings, store, connectors=connectors, watcher=watcher)
        finally:
            watcher.stop()
            store.close()
    tmp.cleanup()


def _demo_headless(sc, store, watcher) -> None:  # type: ignore[no-untyped-def]
    from incident import service
    from incident.render import incidents_table

    watcher.run_once()
    with store.session() as session:
        paged = service.find_by_page(session, source=sc.spec.page.source, alert=sc.spec.page.alert)
        others = [i for i in service.list_incidents(session) if paged is None or i.id != paged.id]
    if paged is None:
        raise CopilotError(f"the scenario's page ({sc.spec.page.alert}) opened no incident", title="Demo failed")
    print_incident_by_ref(store, str(paged.id))
    if others:
        console.print("\nAlso open from the same sources:", style="bold")
        console.print(incidents_table(others))


@app.command("eval")
def eval_cmd(
    dirs: Annotated[list[Path], typer.Argument(help="Scenario directories, or directories of scenarios.")],
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the results as JSON here.")] = None,
    agent: Annotated[str, typer.Option(help="none (analyzer only) or claude.")] = "none",
) -> None:
    """Score scenarios through the sandbox and the watcher's pipeline (AC@1, AC@3, Avg@5, kinds)."""
    from rich.progress import Progress
    from rich.table import Table

    from incident.eval import per_directory, run_case, summarize, write_json
    from incident.eval_render import kinds_view, summary_line
    from incident.scenario import find_scenarios

    if agent not in ("none", "claude"):
        raise ConfigError(f"--agent: expected none or claude, got {agent!r}")
    agent_cfg = None
    if agent == "claude":
        agent_cfg = load_settings().agent.model_copy(update={"enabled": True})
        if agent_cfg.provider == "anthropic" and agent_cfg.api_key is None:
            raise ConfigError("--agent claude needs [agent] api_key (or ANTHROPIC_API_KEY)")
    paths = find_scenarios(dirs)
    cases = []
    with Progress(console=err_console, transient=True) as progress:
        task = progress.add_task("scenarios", total=len(paths))
        for path in paths:
            progress.update(task, description=path.name[:40])
            cases.append(run_case(path, agent=agent_cfg))
            progress.advance(task)
    table = Table(show_header=True, header_style="bold", box=None)
    for col in ("scenario", "truth", "top 3", "hit", "kind", "s", "error"):
        table.add_column(col)
    for c in cases:
        top = ", ".join(f"{r['component']}:{r['kind']}" for r in c.ranking[:3])
        truth = f"{c.truth.get('component', '?')}:{c.truth.get('kind', '?')}"
        table.add_row(
            c.scenario,
            truth,
            Text(top),
            str(c.hit_rank or "-"),
            "yes" if c.kind_correct else "no",
            f"{c.seconds:.1f}" if c.seconds is not None else "-",
            Text(c.error or ""),
        )
    console.print(table)
    summary = summarize(cases)
    cal = summary["calibration"]
    console.print(
        f"cases {summary['cases']}  errors {summary['errors']}  AC@1 {summary['ac1']:.3f}  AC@3 {summary['ac3']:.3f}"
        f"  Avg@5 {summary['avg5']:.3f}  kind accuracy {summary['kind_accuracy']:.3f}"
        f"  median {summary['median_seconds']} s  Brier {cal['brier']}"
    )
    for b in cal["buckets"]:
        console.print(
            f"  confidence {b['range']}: {b['cases']} cases, mean {b['mean_confidence']}, right {b['accuracy']}"
        )
    if len(dirs) > 1:
        summary["per_dir"] = per_directory(dirs, paths, cases)
        for name, numbers in summary["per_dir"].items():
            console.print(summary_line(numbers, f"  {name}: "), markup=False, highlight=False)
    console.print(kinds_view(summary))
    if json_out:
        from dataclasses import asdict

        write_json({"cases": [asdict(c) for c in cases], "summary": summary}, json_out)


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
