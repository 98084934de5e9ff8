"""The incident's headline, facts and the acknowledge / resolve buttons."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Static

from incident.app.queries import EventRow, IncidentRow
from incident.details import MemoryDetails
from tui.widgets.agent_meter import AgentMeter
from tui.widgets.format import SEVERITY_TONE, STATUS_TONE, stamp, tone
from tui.widgets.memory import headline, resolved_by


class IncidentHeader(Vertical):
    class StatusRequested(Message):
        def __init__(self, status: str) -> None:
            super().__init__()
            self.status = status

    def compose(self) -> ComposeResult:
        yield Static(id="headline")
        yield Static(id="facts")
        yield Static(id="memory-line")
        with Horizontal(id="controls"):
            yield Button("Acknowledge \\[A]", id="ack", compact=True)
            yield Button("Resolve \\[R]", id="resolve", compact=True)
            yield AgentMeter(id="agent")

    def show(self, incident: IncidentRow, similar: list[EventRow] | None = None) -> None:
        self.query_one("#headline", Static).update(Text(f"#{incident.id} {incident.title}", style="bold"))
        facts = Text()
        facts.append(incident.status, style=f"bold {tone(self.app, STATUS_TONE.get(incident.status))}".strip())
        facts.append(" · ")
        facts.append(incident.severity or "-", style=tone(self.app, SEVERITY_TONE.get(incident.severity or "")))
        parts = [
            incident.component or "-",
            f"owner {incident.owner or '-'}",
            f"on-call {incident.oncall or '-'}",
            f"paged {stamp(incident.page_at)} via {incident.source}",
        ]
        facts.append(" · " + " · ".join(parts))
        self.query_one("#facts", Static).update(facts)
        line = self.query_one("#memory-line", Static)
        line.display = bool(similar)
        if similar:
            best = MemoryDetails.of(similar[0])
            how = resolved_by(best)
            more = f" (+{len(similar) - 1} more)" if len(similar) > 1 else ""
            text = f"↺ {headline(best)}{more}" + (f" · {how[0]}" if how else "") + " · 5: memory"
            line.update(Text(text, style=tone(self.app, "primary"), no_wrap=True, overflow="ellipsis"))
        ack, resolve = self.query_one("#ack", Button), self.query_one("#resolve", Button)
        ack.disabled = incident.status != "triggered"
        ack.label = "✓ Acknowledged" if incident.status == "acknowledged" else "Acknowledge \\[A]"
        resolve.disabled = incident.status == "resolved"
        resolve.label = "✓ Resolved" if incident.status == "resolved" else "Resolve \\[R]"

    @on(Button.Pressed, "#ack")
    def _ack(self) -> None:
        self.post_message(self.StatusRequested("acknowledged"))

    @on(Button.Pressed, "#resolve")
    def _resolve(self) -> None:
        self.post_message(self.StatusRequested("resolved"))
