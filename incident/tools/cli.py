"""The tool commands: ``sandbox up``, ``demo`` and ``eval``, registered on the core's Typer app.

The only module that joins the ``incident`` command line to :mod:`incident.sandbox`.
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from incident import cli as core
from incident.cli_records import print_incident_by_ref
from incident.cli_support import console, err_console
from incident.cli_support import load as load_settings
from incident.errors import ConfigError, CopilotError
from incident.locations import data_dir
from incident.redact import mask_url

if TYPE_CHECKING:
    from incident.scenario import Scenario
    from incident.store import Store
    from incident.watcher import Watcher

sandbox_app = typer.Typer(no_args_is_help=True, help="Run a scenario's stand-ins locally.")

DEFAULT_SCENARIO = "checkout-bad-deploy"
DEMO_STORE = "demo.db"
DEMO_CONFIG = "demo.toml"
"""The demo's store and the config naming it, both in the data directory (incident/locations.py)."""


def register(app: typer.Typer) -> None:
    """Add ``sandbox up``, ``demo`` and ``eval`` to ``app`` (once, however often it is called)."""
    if any(group.typer_instance is sandbox_app for group in app.registered_groups):
        return
    app.add_typer(sandbox_app, name="sandbox")
    app.command()(demo)
    app.command("eval")(eval_cmd)


def default_scenarios_dir() -> Path:
    env = os.environ.get("INCIDENT_SCENARIOS_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "scenarios"


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
        for line in _sandbox_next_steps(config_out):
            console.print(line, markup=False, highlight=False, soft_wrap=True)
        console.print("# Ctrl-C to stop", style="dim")
        core.wait_for_signal()


def _sandbox_next_steps(config_out: Path | None) -> list[str]:
    """What to run next against the sandbox, as TOML comments (the printed config stays valid)."""
    if config_out is None:
        name = "sandbox.toml"
        first = f"# next: save the config above as {name} (or pass --config-out FILE), then in another terminal:"
    else:
        name = str(config_out)
        first = f"# next, in another terminal (the config is in {name}):"
    flag = shlex.quote(name)
    return [
        first,
        f"#   incident --config {flag} watch          # opens, gathers and diagnoses the sandbox's page",
        f"#   incident --config {flag} tui            # the incidents, live",
        f"#   incident --config {flag} show latest    # or: postmortem latest",
    ]


def demo(
    headless: Annotated[bool, typer.Option(help="Print the timeline instead of opening the terminal UI.")] = False,
    scenario: Annotated[Path | None, typer.Option(help="Scenario directory (default: the bundled default).")] = None,
    store_url: Annotated[
        str | None, typer.Option("--store", help="SQLAlchemy URL (default: demo.db in the data dir, emptied per run).")
    ] = None,
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
    if not headless and core.interactive_ui is None:
        err_console.print("the terminal UI is not loaded (run the `incident` command): printing the timeline")
        headless = True
    path = scenario or default_scenarios_dir() / DEFAULT_SCENARIO
    sc = load_scenario(path)
    url = store_url or _fresh_demo_store()
    err_console.print(f"[bold]incident demo[/]: scenario {sc.name}, page at {sc.page_at:%Y-%m-%d %H:%M} UTC")
    signal.signal(signal.SIGTERM, _exit_on_sigterm)  # a terminated demo stops its stand-ins too
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
                core.log_to_file(data_dir() / "demo.log")
                watcher.start()
                assert core.interactive_ui is not None
                core.interactive_ui(settings, store, connectors=connectors, watcher=watcher)
        finally:
            watcher.stop()
            store.close()
    _print_next_steps(url, settings.replay.clock_offset_seconds)


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    """SIGTERM ends the demo as Ctrl-C does, so the sandbox's ``with`` stops Prometheus and
    Alertmanager instead of leaving them running (Python's default SIGTERM skips all clean-up)."""
    raise SystemExit(128 + signum)


def _fresh_demo_store() -> str:
    """The demo's own SQLite file in the data directory, emptied at each run and kept after it."""
    data_dir().mkdir(parents=True, exist_ok=True)
    db = data_dir() / DEMO_STORE
    for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)
    return f"sqlite:///{db}"


def _print_next_steps(store_url: str, clock_offset: float) -> None:
    """Write a config naming the demo's store and print the commands to read it. The replay clock
    goes with it, so that what is done to the demo's incidents later lands after their page, not months."""
    from incident.config import dump_toml

    data_dir().mkdir(parents=True, exist_ok=True)
    config = data_dir() / DEMO_CONFIG
    config.write_text(
        "# Written by `incident demo`: the demo's store, kept after the sandbox stopped.\n"
        + dump_toml(
            {
                "store": {"url": store_url},
                "kubernetes": {"enabled": False},
                "replay": {"enabled": True, "clock_offset_seconds": clock_offset},
            }
        )
    )
    flag = shlex.quote(str(config))
    err_console.print(f"\nThe demo's store is kept: {mask_url(store_url)}", markup=False, highlight=False)
    err_console.print("Next:", style="bold")
    for command in ("show latest", "postmortem latest", "tui"):
        err_console.print(f"  incident --config {flag} {command}", markup=False, highlight=False)


def _demo_headless(sc: Scenario, store: Store, watcher: Watcher) -> None:
    from incident.app.queries import find_by_page, list_incidents
    from incident.render import incidents_table

    watcher.run_once()
    paged = find_by_page(store, source=sc.spec.page.source, alert=sc.spec.page.alert)
    others = [i for i in list_incidents(store) if paged is None or i.id != paged.id]
    if paged is None:
        raise CopilotError(f"the scenario's page ({sc.spec.page.alert}) opened no incident", title="Demo failed")
    print_incident_by_ref(store, str(paged.id))
    if others:
        console.print("\nAlso open from the same sources:", style="bold")
        console.print(incidents_table(others))


def eval_cmd(
    dirs: Annotated[list[Path], typer.Argument(help="Scenario directories, or directories of scenarios.")],
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the results as JSON here.")] = None,
    agent: Annotated[str, typer.Option(help="none (analyzer only) or claude.")] = "none",
) -> None:
    """Score scenarios through the sandbox and the watcher's pipeline (AC@1, AC@3, Avg@5, kinds)."""
    from rich.table import Column, Table

    from incident.scenario import find_scenarios
    from incident.tools.eval import CaseResult, per_directory, run_case, summarize, write_json
    from incident.tools.eval_render import kinds_view, progress_line, summary_line

    if agent not in ("none", "claude"):
        raise ConfigError(f"--agent: expected none or claude, got {agent!r}")
    agent_cfg = None
    if agent == "claude":
        agent_cfg = load_settings().agent.model_copy(update={"enabled": True})
        if agent_cfg.provider == "anthropic" and agent_cfg.api_key is None:
            raise ConfigError("--agent claude needs [agent] api_key (or ANTHROPIC_API_KEY)")
    paths = find_scenarios(dirs)
    cases: list[CaseResult] = []
    for number, path in enumerate(paths, 1):
        cases.append(run_case(path, agent=agent_cfg))
        err_console.print(
            f"[{number}/{len(paths)}] {progress_line(cases[-1])}", markup=False, highlight=False, soft_wrap=True
        )
    table = Table(
        Column("scenario", no_wrap=True),
        Column("truth", no_wrap=True),
        "top 3",
        Column("hit", no_wrap=True),
        Column("kind", no_wrap=True),
        Column("s", no_wrap=True),
        "error",
        show_header=True,
        header_style="bold",
        box=None,
    )
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
