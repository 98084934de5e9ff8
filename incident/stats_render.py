"""Rich tables of :class:`incident.stats.Stats` for the terminal (``incident stats``)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from incident.stats import Durations, SourceAccuracy, Stats

NO_FEEDBACK = (
    "No feedback yet: nobody has marked a hypothesis confirmed or wrong, so there is no accuracy to report. "
    "Mark them in the TUI (v on a hypothesis)."
)


def duration(seconds: float | None) -> str:
    """``45s``, ``4m 30s``, ``2h 05m``, ``3d 4h``; ``-`` for none."""
    if seconds is None:
        return "-"
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def _pair(d: Durations) -> str:
    return "-" if not d.count else f"{duration(d.mean_seconds)} / {duration(d.median_seconds)}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def components_table(stats: Stats) -> Table:
    title = "Incidents" + (f" paged since {stats.since:%Y-%m-%d %H:%M} UTC" if stats.since else "")
    table = Table(title=title, title_justify="left", show_footer=True)
    table.add_column("component", footer="all")
    for name, footer in (("incidents", stats.incidents), ("open", stats.open), ("resolved", stats.resolved)):
        table.add_column(name, justify="right", footer=str(footer))
    table.add_column("MTTA mean / median", justify="right", footer=_pair(stats.mtta))
    table.add_column("MTTR mean / median", justify="right", footer=_pair(stats.mttr))
    for c in stats.components:
        table.add_row(c.component, str(c.total), str(c.open), str(c.resolved), _pair(c.mtta), _pair(c.mttr))
    return table


def accuracy_table(acc: SourceAccuracy) -> RenderableType:
    if not acc.confirmed + acc.rejected:
        return Text(f"{acc.source}: no verdicts on its hypotheses yet", style="dim")
    table = Table(title=f"{acc.source}: accuracy from feedback", title_justify="left", show_footer=True)
    table.add_column("kind", footer="all")
    table.add_column("confirmed", justify="right", footer=str(acc.confirmed))
    table.add_column("wrong", justify="right", footer=str(acc.rejected))
    table.add_column("accuracy", justify="right", footer=_share(acc.accuracy))
    for k in acc.kinds:
        table.add_row(k.kind, str(k.confirmed), str(k.rejected), _share(k.accuracy))
    top1 = Text(
        f"top-1: rank 1 confirmed on {acc.top1_confirmed} of {acc.incidents_with_verdict} incident(s) with a verdict"
        f" ({_share(acc.top1_accuracy)})"
    )
    return Group(table, top1)


def stats_view(stats: Stats) -> Group:
    if not stats.incidents:
        return Group(Text("No incidents" + (" in that period." if stats.since else " in the store yet.")))
    parts: list[RenderableType] = [components_table(stats), Text("")]
    if not stats.verdicts:
        parts.append(Text(NO_FEEDBACK, style="yellow"))
    else:
        for acc in stats.accuracy:
            parts += [accuracy_table(acc), Text("")]
    return Group(*parts)
