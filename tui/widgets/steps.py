"""The highlighted hypothesis' runbook steps: what to check, and the actions it proposes."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from incident.app.queries import ActionRow, HypothesisRow
from incident.runbooks.step import Step
from tui.widgets.actions import state_label
from tui.widgets.format import tone

MARK = {"text": "·", "diagnostic": "?", "action": "!", "link": "→"}
STEP_MARKERS = [
    ("→", "a link (runbook, dashboard) from the catalog or the runbook"),
    ("?", "a check to run: a question, a query or a read"),
    ("!", "an action: proposed for approval once its values are known ([pending], [succeeded]...)"),
    ("·", "a note: what to watch or do by hand"),
]
"""What each marker means (the incident screen's help lists them)."""


class RunbookSteps(Static):
    def show(self, hypothesis: HypothesisRow | None, actions: list[ActionRow]) -> None:
        if hypothesis is None:
            self.update("No hypothesis yet: the analysis has not run or found nothing to rank.")
            return
        if not hypothesis.steps:
            self.update(Text(f"No runbook steps for {hypothesis.kind} on {hypothesis.component}.", style="dim"))
            return
        out = Text()
        for i, step in enumerate(hypothesis.steps, start=1):
            out.append_text(self._step(i, step, hypothesis, actions))
            out.append("\n")
        self.update(out)

    def _step(self, i: int, step: Step, h: HypothesisRow, actions: list[ActionRow]) -> Text:
        line = Text(f"{i:>2} {MARK.get(step.type, '·')} ", style="bold")
        line.append(" ".join((step.text or step.title).split()))
        if step.url:
            line.append(f" {step.url}", style="underline")
        if step.missing:
            line.append(f"  (needs {', '.join(step.missing)})", style=tone(self.app, "warning"))
        if step.type == "action" and step.action is not None:
            action_type = step.action.type
            match = [a for a in actions if a.type == action_type and a.hypothesis_id in (h.id, None)]
            if match:
                label, tone_name = state_label(match[0])
                line.append(f"  [{label}]", style=f"bold {tone(self.app, tone_name)}".strip())
        if step.why:
            line.append("\n     " + " ".join(step.why.split()), style="dim")
        return line
