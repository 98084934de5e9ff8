"""Plain-terminal rendering (rich) of incidents and timelines, for the CLI and the headless demo."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from incident.app.queries import EventRow, HypothesisRow, IncidentRow
from incident.models import Hypothesis, Incident, TimelineEvent
from incident.runbooks.step import steps_of

KIND_STYLE = {
    "alert": "bold red",
    "incident_state": "bold",
    "metric_change": "magenta",
    "pod_state": "yellow",
    "k8s_event": "yellow",
    "deploy": "bold cyan",
    "config_change": "bold cyan",
    "change_event": "cyan",
    "node_state": "yellow",
    "log_excerpt": "dim",
    "ownership": "green",
    "connector_error": "bold red",
    "note": "blue",
    "topology": "dim",
}


def incident_header(incident: Incident | IncidentRow) -> Text:
    text = Text()
    text.append(f"#{incident.id} ", style="bold")
    text.append(incident.title, style="bold")
    text.append(f"\n  status {incident.status}  severity {incident.severity or '-'}  component ")
    text.append(incident.component or "unknown", style="bold")
    text.append(f"  owner {incident.owner or '-'}")
    if incident.oncall:
        text.append(f"  on-call {incident.oncall}")
    text.append(f"\n  paged {incident.page_at:%Y-%m-%d %H:%M:%S} UTC via {incident.source}")
    if incident.source_ref:
        text.append(f" ({incident.source_ref})")
    return text


def timeline_table(events: Sequence[TimelineEvent | EventRow], *, width: int | None = None) -> Table:
    table = Table(show_header=True, header_style="bold", expand=False, box=None, pad_edge=False)
    table.add_column("time (UTC)", no_wrap=True, width=19)
    table.add_column("kind", no_wrap=True, width=14)
    table.add_column("source", no_wrap=True, width=12)
    table.add_column("what", ratio=1)
    for ev in events:
        table.add_row(
            f"{ev.at:%m-%d %H:%M:%S}",
            Text(ev.kind, style=KIND_STYLE.get(ev.kind, "")),
            ev.source,
            Text(ev.summary),
        )
    return table


def hypotheses_table(hypotheses: Sequence[Hypothesis | HypothesisRow]) -> Table:
    table = Table(show_header=True, header_style="bold", expand=False, box=None, pad_edge=False)
    table.add_column("#", no_wrap=True, width=2)
    table.add_column("kind", no_wrap=True, width=20)
    table.add_column("component", no_wrap=True, width=16)
    table.add_column("conf", no_wrap=True, width=5)
    table.add_column("why (evidence)", ratio=1)
    for h in hypotheses:
        why = Text(h.summary)
        why.append(f"  [{len(h.evidence)} cited]", style="dim")
        steps = h.steps if isinstance(h, HypothesisRow) else steps_of(h.steps)
        actions = [s for s in steps if s.type == "action"]
        if actions:
            offered = actions[0].text or (actions[0].action.type if actions[0].action else None)
            why.append(f"\n  proposes: {offered}", style="cyan")
        table.add_row(str(h.rank or "-"), h.kind, h.component, f"{h.confidence:.0%}", why)
    return table


def print_incident(
    console: Console,
    incident: Incident | IncidentRow,
    events: Sequence[TimelineEvent | EventRow],
    hypotheses: Sequence[Hypothesis | HypothesisRow] | None = None,
) -> None:
    console.print(incident_header(incident))
    if hypotheses:
        console.print("\nWhat is broken (ranked hypotheses):", style="bold")
        console.print(hypotheses_table(hypotheses))
    console.print("\nTimeline:", style="bold")
    console.print(timeline_table(events))


def incidents_table(incidents: Sequence[Incident | IncidentRow]) -> Table:
    table = Table(show_header=True, header_style="bold", box=None)
    for col in ("id", "status", "paged (UTC)", "component", "owner", "title"):
        table.add_column(col)
    for i in incidents:
        table.add_row(
            str(i.id),
            i.status,
            f"{i.page_at:%Y-%m-%d %H:%M}",
            i.component or "-",
            i.owner or "-",
            Text(i.title),
        )
    return table
