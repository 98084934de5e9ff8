"""Rich tables of ``incident eval``'s kinds: per truth kind AC@1/AC@3/kind accuracy, and the
confusion matrix of the kind the ranking gave the truth component against the true kind."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from incident.tools.eval import MISSED, CaseResult


def progress_line(case: CaseResult) -> str:
    """One line per scored scenario while ``incident eval`` runs: its full name and how it went."""
    seconds = f" ({case.seconds:.1f} s)" if case.seconds is not None else ""
    if case.error:
        return f"{case.scenario}: error: {case.error}{seconds}"
    hit = f"truth ranked #{case.hit_rank}" if case.hit_rank else "truth not ranked"
    return f"{case.scenario}: {hit}, kind {'right' if case.kind_correct else 'wrong'}{seconds}"


def summary_line(summary: dict[str, Any], label: str = "") -> str:
    """One line of the headline numbers (the per-directory lines use it)."""
    return (
        f"{label}cases {summary['cases']}  errors {summary['errors']}  AC@1 {summary['ac1']:.3f}"
        f"  AC@3 {summary['ac3']:.3f}  Avg@5 {summary['avg5']:.3f}  kind accuracy {summary['kind_accuracy']:.3f}"
    )


def per_kind_table(per_kind: dict[str, dict[str, Any]]) -> Table:
    table = Table(title="Per truth kind", title_justify="left", header_style="bold", box=None)
    for column in ("truth kind", "cases", "AC@1", "AC@3", "kind acc."):
        table.add_column(column, justify="left" if column == "truth kind" else "right")
    for kind, row in per_kind.items():
        table.add_row(kind, str(row["cases"]), f"{row['ac1']:.2f}", f"{row['ac3']:.2f}", f"{row['kind_accuracy']:.2f}")
    return table


def confusion_table(confusion: dict[str, dict[str, int]]) -> Group:
    """Rows: truth kind; columns (numbered, so 16 kinds fit in 80 columns): the kind the ranking
    gave the truth component, ``m`` when the component was not ranked at all."""
    truths = list(confusion)
    predicted = sorted({k for row in confusion.values() for k in row if k != MISSED})
    kinds = truths + [k for k in predicted if k not in truths]
    number = {k: str(i) for i, k in enumerate(kinds, start=1)}
    columns = kinds  # square on the truths, so the diagonal (right kind) reads at a glance
    has_missed = any(MISSED in row for row in confusion.values())
    table = Table(
        title="Confusion of kinds",
        title_justify="left",
        header_style="bold",
        box=None,
        padding=(0, 0, 0, 1),
    )
    table.add_column("truth kind", no_wrap=True)
    for k in columns:
        table.add_column(number[k], justify="right")
    if has_missed:
        table.add_column("m", justify="right")
    for truth in truths:
        row = confusion[truth]
        cells = [_cell(row.get(k, 0), k == truth) for k in columns]
        if has_missed:
            cells.append(_cell(row.get(MISSED, 0), False))
        table.add_row(f"{number[truth]:>2} {truth}", *cells)
    legend = [f"{number[k]} {k}" for k in columns if k not in truths]
    notes = "rows: the true kind; columns (by row number): the kind ranked for the truth component"
    if legend:
        notes += f"; {', '.join(legend)} (never the truth)"
    if has_missed:
        notes += f"; m = {MISSED} (the truth component is not in the ranking)"
    return Group(table, Text(notes, style="dim"))


def _cell(count: int, diagonal: bool) -> Text:
    if not count:
        return Text(".", style="dim")
    return Text(str(count), style="bold green" if diagonal else "red")


def kinds_view(summary: dict[str, Any]) -> Group:
    if not summary.get("per_kind"):
        return Group(Text("no case with a truth kind: no per-kind numbers", style="dim"))
    return Group(Text(""), per_kind_table(summary["per_kind"]), Text(""), confusion_table(summary["confusion"]))
