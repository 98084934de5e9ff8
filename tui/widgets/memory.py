"""Team memory in the incident view: similar past incidents and what resolved them."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from incident.app.queries import EventRow
from incident.details import MemoryDetails
from tui.widgets.format import tone


def resolved_by(match: MemoryDetails) -> list[str]:
    """What resolved a past incident, one short line each: actions, accepted cause, postmortem."""
    how = match.resolved_by
    lines = []
    for a in how.get("actions") or []:
        who = f", {a['who']}" if a.get("who") else ""
        lines.append(f"action: {a.get('title') or a.get('type')} ({a.get('status', 'succeeded')}{who})")
    for h in how.get("accepted") or []:
        lines.append(f"confirmed cause: {h.get('kind')} on {h.get('component')}: {h.get('summary', '')}".rstrip(": "))
    if how.get("postmortem"):
        lines.append(f"postmortem: {how['postmortem']}")
    return lines


def headline(match: MemoryDetails) -> str:
    score = float(match.score or 0)
    return f"#{match.past_incident_id} {score:.0%} similar · {match.title or ''}"


class MemoryPanel(VerticalScroll):
    """One block per similar past incident: why it is similar and what resolved it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: list[MemoryDetails] | None = None

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="memory-text")

    def show(self, similar: list[EventRow]) -> None:
        matches = [MemoryDetails.of(e) for e in similar]
        if matches == self._shown:
            return
        self._shown = matches
        if not matches:
            text = Text(
                "No similar past incident in this store yet. Confirmed or wrong verdicts (v on a hypothesis) "
                "and executed actions are what the next page on a similar incident will see here.",
                style="dim",
            )
        else:
            text = Text()
            strong = tone(self.app, "primary")
            for i, m in enumerate(matches):
                if i:
                    text.append("\n\n")
                text.append(headline(m), style=f"bold {strong}".strip())
                if m.status:
                    text.append(f"  [{m.status}]", style="dim")
                if m.reasons:
                    text.append("\n  why: " + "; ".join(m.reasons), style="dim")
                lines = resolved_by(m) or ["nothing recorded as resolving it"]
                for line in lines:
                    text.append(f"\n  {line}")
        self.query_one("#memory-text", Static).update(text)
