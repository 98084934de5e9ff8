"""The ``incident`` commands that read the record: list, show, explain, audit, postmortem, stats."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from incident.cli_support import console, err_console, open_store, print_error
from incident.errors import CopilotError

AUDIT_ID_WIDTH = 140
"""Console width from which ``incident audit`` shows the action id column (``--json`` always has it)."""

records = typer.Typer()
"""Merged into the top level of the ``incident`` app (no sub-command name)."""


@records.command("list")
def list_cmd(open_only: Annotated[bool, typer.Option("--open", help="Only open incidents.")] = False) -> None:
    """List incidents in the store."""
    from incident.app.queries import list_incidents
    from incident.render import incidents_table

    with open_store() as store:
        console.print(incidents_table(list_incidents(store, open_only=open_only)))


@records.command()
def show(incident_id: Annotated[str, typer.Argument(help="Incident id or 'latest'.")] = "latest") -> None:
    """Print an incident and its timeline."""
    with open_store() as store:
        print_incident_by_ref(store, incident_id)


def print_incident_by_ref(store: Any, incident_id: str) -> None:
    from incident.app.queries import load_record
    from incident.render import print_incident

    record = load_record(store, incident_id)
    print_incident(console, record.incident, record.events, record.hypotheses)


@records.command()
def explain(
    incident_id: Annotated[str, typer.Argument(help="Incident id or 'latest'.")] = "latest",
    hypothesis: Annotated[
        int | None, typer.Option("--hypothesis", "-n", help="Only the hypothesis ranked N (1 = top).", min=1)
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the explanation as JSON.")] = False,
) -> None:
    """Why each hypothesis ranks where it does: its score's terms, onset, what it explains, memory,
    evidence, what would refute it, and why #1 is above #2."""
    from incident.app.queries import load_explanation
    from incident.explain import ExplainError
    from incident.explain_render import explanation_view
    from incident.service import IncidentRefError

    try:
        with open_store() as store:
            result = load_explanation(store, incident_id, rank=hypothesis)
    except (IncidentRefError, ExplainError) as exc:
        print_error(exc)
        raise typer.Exit(1) from None
    if json_out:
        typer.echo(result.model_dump_json(indent=2))
    else:
        console.print(explanation_view(result))


@records.command()
def audit(
    incident_id: Annotated[int | None, typer.Argument(help="Only this incident's entries.")] = None,
    verify: Annotated[
        bool, typer.Option("--verify", help="Check the hash chain of the whole log; exit 1 at the first broken link.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the entries as JSON lines.")] = False,
) -> None:
    """Print the append-only audit log of actions (approvals, executions, results, refusals, rejections)."""
    from incident.actions.audit import action_descriptions
    from incident.app.queries import audit_entries, incident_id_of, verify_audit_log
    from incident.service import IncidentRefError

    if verify:
        with open_store() as store:
            checked, broken = verify_audit_log(store)
        if broken is None:
            console.print(f"audit log intact: {checked} row(s), every link holds")
            return
        where = f"row #{broken.id}" if broken.id is not None else "the end of the log"
        console.print(Text(f"audit log broken at {where} (after {checked} row(s) checked): {broken.reason}", "red"))
        raise typer.Exit(1)

    with open_store() as store:
        if incident_id is not None:
            try:
                incident_id_of(store, incident_id)
            except IncidentRefError:
                err_console.print(f"no such incident {incident_id}", style="red", markup=False, highlight=False)
                raise typer.Exit(1) from None
        entries = audit_entries(store, incident_id=incident_id)
        described = action_descriptions(store, {e.action_id for e in entries if e.action_id})
    if json_out:
        for entry in entries:
            row = {
                "id": entry.id,
                "at": entry.at.isoformat(),
                "incident_id": entry.incident_id,
                "action_id": entry.action_id,
                "action": described.get(entry.action_id or ""),
                "who": entry.who,
                "what": entry.what,
                "detail": entry.detail,
            }
            typer.echo(json.dumps(row, default=str))
        return
    scope = f"incident {incident_id}" if incident_id is not None else "all incidents"
    if not entries:
        console.print(f"no audit entries for {scope}")
        return
    console.print(_audit_table(entries, described, scope))


def _audit_table(entries: list[Any], described: dict[str, str], scope: str) -> Any:
    """What was done, by whom, to what: the action's description (its id only on a wide console; ``--json``
    always has it), and the result, error or reason under it."""
    from rich import box
    from rich.table import Column, Table

    wide = console.width >= AUDIT_ID_WIDTH
    columns = [
        Column("#", no_wrap=True, justify="right"),
        Column("when (UTC)", no_wrap=True),
        Column("inc", no_wrap=True, justify="right"),
        Column("what", no_wrap=True),
        Column("who", no_wrap=True),
        Column("action", overflow="fold"),
    ]
    if wide:
        columns.append(Column("action id", no_wrap=True, style="dim"))
    table = Table(*columns, title=f"Audit log ({scope})", box=box.SIMPLE_HEAD, expand=False, pad_edge=False)
    styles = {"succeeded": "green", "failed": "red", "refused": "red", "rejected": "yellow", "reconciled": "magenta"}
    for entry in entries:
        detail = entry.detail
        said = detail.get("error") or (detail.get("result") or {}).get("message") or detail.get("reason")
        said = said or detail.get("message") or ""
        action = Text(described.get(entry.action_id or "", entry.action_id or ""))
        if said:
            action.append(f"\n{said}", style=styles.get(entry.what, "dim"))
        row = [
            str(entry.id),
            entry.at.strftime("%Y-%m-%d %H:%M:%S"),
            str(entry.incident_id),
            Text(entry.what, style=styles.get(entry.what, "")),
            entry.who,
            action,
        ]
        table.add_row(*row, *([entry.action_id or ""] if wide else []))
    return table


@records.command()
def postmortem(
    incident_id: Annotated[str, typer.Argument(help="Incident id or 'latest'.")] = "latest",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the draft to FILE.")] = None,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Deterministic prose even when a key is set.")] = False,
) -> None:
    """Draft a blameless postmortem (Markdown) from the stored record; print it or write it to FILE."""
    from incident.app.commands import draft_postmortem
    from incident.cli_support import load
    from incident.postmortem import PostmortemError
    from incident.service import IncidentRefError

    settings = load()
    try:
        with open_store(settings) as store:
            result = draft_postmortem(
                store, incident_id, settings=settings, path=output, use_llm=False if no_llm else None
            )
    except (PostmortemError, IncidentRefError) as exc:
        print_error(exc)
        raise typer.Exit(1) from None
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    if result.removed:
        typer.echo(f"{len(result.removed)} claim(s) of the model removed (listed at the end of the draft)", err=True)
    if result.path is None:
        typer.echo(result.markdown, nl=False)  # plain: rich would wrap lines and read Markdown brackets as markup
    else:
        typer.echo(f"postmortem draft written to {result.path} ({result.mode})")


def _since(value: str | None):  # type: ignore[no-untyped-def]
    """``30d``, ``12h``... before now, or an RFC 3339 date/time (UTC when it has no zone)."""
    from incident.config import parse_duration
    from incident.models import utcnow
    from incident.timeutil import parse_time

    if value is None:
        return None
    try:
        return utcnow() - parse_duration(value)
    except ValueError:
        pass
    when = parse_time(value)
    if when is None:
        raise CopilotError(f"--since: expected a duration (30d, 12h) or a date (2026-01-31), got {value!r}")
    return when


@records.command()
def stats(
    since: Annotated[str | None, typer.Option(help="Only incidents paged since: 30d, 12h, or a date.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the numbers as JSON here.")] = None,
) -> None:
    """Incidents per component, MTTA and MTTR, and the analyzer's and agent's accuracy from feedback."""
    from incident.app.queries import incident_stats
    from incident.stats_render import stats_view

    with open_store() as store:
        result = incident_stats(store, since=_since(since))
    console.print(stats_view(result))
    if json_out:
        try:
            json_out.write_text(result.model_dump_json(indent=2) + "\n")
        except OSError as exc:
            raise CopilotError(f"cannot write {json_out}: {exc.strerror or exc}") from exc
        console.print(f"written to {json_out}")
