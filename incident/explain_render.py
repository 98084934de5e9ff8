"""Rich rendering of :class:`incident.explain.Explanation` for the terminal (``incident explain``)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from incident.explain import Explanation, HypothesisExplanation, facts, refuted_by


def explanation_view(explanation: Explanation) -> Group:
    e = explanation
    parts: list[RenderableType] = [
        Text.assemble((f"incident {e.incident_id}: {e.title}", "bold"), f"  paged {e.page_at:%Y-%m-%d %H:%M:%S} UTC")
    ]
    if e.comparison is not None:
        parts.append(Text(e.comparison.text, style="bold"))
    if not e.hypotheses:
        parts.append(Text("no hypotheses yet: the analysis has not ranked any for this incident", style="yellow"))
    for h in e.hypotheses:
        parts += [Text(""), hypothesis_view(h)]
    return Group(*parts)


def hypothesis_view(h: HypothesisExplanation) -> Group:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    for label, text in facts(h):
        term = label.startswith("  ")
        style = "yellow" if label == "score" and h.no_breakdown is not None else ""
        table.add_row(Text(label, style="cyan" if term else "bold"), Text(text, style=style))
    return Group(table, Text(refuted_by(h), style="italic"))
