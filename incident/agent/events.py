"""Progress events of one agent run, for the UI to stream (plain dataclasses, one module)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from incident.llm import UsageTotals


@dataclass(frozen=True)
class AgentStarted:
    incident_id: int
    model: str
    max_steps: int


@dataclass(frozen=True)
class ToolCalled:
    name: str
    args: dict[str, Any] = field(default_factory=dict)
    step: int = 0


@dataclass(frozen=True)
class ToolFinished:
    id: str
    """``tr_<n>``: the id the model cites as evidence."""
    status: str
    """``ok``, ``error`` or ``no_data``."""
    name: str = ""


@dataclass(frozen=True)
class Usage:
    """Running totals of the run so far (agent and judge calls)."""

    tokens_in: int
    """Input tokens, cache reads and writes included."""
    tokens_out: int
    cache_read: int
    cost_usd: float


@dataclass(frozen=True)
class AgentFinished:
    reason: str


def usage_event(totals: UsageTotals) -> Usage:
    return Usage(totals.tokens_in, totals.output_tokens, totals.cache_read, round(totals.cost_usd, 6))


AgentEvent = AgentStarted | ToolCalled | ToolFinished | Usage | AgentFinished
EventSink = Callable[[AgentEvent], None]
