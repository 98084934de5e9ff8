"""The agent's progress while it investigates, and its token/cost meter."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static


@dataclass
class AgentState:
    """What the app knows of the agent's run on one incident (fed by ``Watcher.on_agent_event``)."""

    incident_id: int
    model: str = ""
    max_steps: int = 0
    step: int = 0
    tool: str = ""
    tools_done: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    finished: str | None = None

    def apply(self, event: object) -> None:
        name = type(event).__name__
        if name == "AgentStarted":
            self.model, self.max_steps = event.model, event.max_steps  # type: ignore[attr-defined]
        elif name == "ToolCalled":
            self.tool, self.step = event.name, max(self.step, event.step)  # type: ignore[attr-defined]
        elif name == "ToolFinished":
            self.tools_done += 1
        elif name == "Usage":
            self.tokens_in, self.tokens_out = event.tokens_in, event.tokens_out  # type: ignore[attr-defined]
            self.cost_usd = event.cost_usd  # type: ignore[attr-defined]
        elif name == "AgentFinished":
            self.finished = event.reason  # type: ignore[attr-defined]


def _k(n: int) -> str:
    return f"{n / 1000:.1f}k" if n >= 1000 else str(n)


class AgentMeter(Static):
    def show(self, state: AgentState | None) -> None:
        if state is None:
            self.update(Text("agent: not running in this session", style="dim"))
            return
        head = "agent done" if state.finished else f"agent step {state.step}/{state.max_steps or '?'}"
        text = Text(head, style="bold")
        if state.tool and not state.finished:
            text.append(f" · {state.tool}")
        text.append(f" · {state.tools_done} tools · {_k(state.tokens_in)} in / {_k(state.tokens_out)} out")
        text.append(f" · ${state.cost_usd:.3f}")
        if state.finished:
            text.append(f" · {state.finished}", style="dim")
        self.update(text)
