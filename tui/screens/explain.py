"""Why the highlighted hypothesis ranks where it does: the same explanation as ``incident explain``,
read-only, scrollable (it fits at 80x24)."""

from __future__ import annotations

from incident.explain import Explanation, HypothesisExplanation, facts, refuted_by
from tui.screens.event_detail import FactsScreen


class ExplainScreen(FactsScreen):
    def __init__(self, explanation: Explanation) -> None:
        super().__init__()
        self.explanation = explanation
        self.hypothesis: HypothesisExplanation = explanation.hypotheses[0]
        self.heading = f"Why #{self.hypothesis.rank} {self.hypothesis.kind} on {self.hypothesis.component}"

    def facts(self) -> list[tuple[str, str]]:
        return facts(self.hypothesis)

    def body(self) -> str | None:
        lines = [refuted_by(self.hypothesis)]
        if self.explanation.comparison is not None:
            lines.append(self.explanation.comparison.text)
        return "\n\n".join(lines)
