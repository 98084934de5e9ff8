"""Messages the TUI's workers and widgets post, as dataclasses in one module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from incident.app.commands import PreviewView
from incident.app.queries import ActionRow, Detail, IncidentRow, QuarantinedView


@dataclass
class StoreChanged(Message, bubble=False):
    """Another process (or this one) wrote to the store; screens reload what they show."""

    version: tuple[Any, ...]

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StoreChanged)


@dataclass
class IncidentsLoaded(Message, bubble=False):
    rows: list[IncidentRow]


@dataclass
class QuarantineLoaded(Message, bubble=False):
    """How many alerts are quarantined, and the newest of them (none when only counted)."""

    total: int
    rows: list[QuarantinedView]


@dataclass
class DetailLoaded(Message, bubble=False):
    detail: Detail


@dataclass
class PreviewReady(Message, bubble=False):
    preview: PreviewView


@dataclass
class ActionFinished(Message, bubble=False):
    """An approved action ran (or a rejection was recorded); ``row`` is its final state."""

    row: ActionRow


@dataclass
class AgentProgress(Message, bubble=False):
    """One event of the agent's run (``incident.agent.events``), forwarded from the watcher's thread."""

    event: Any


@dataclass
class JumpToEvidence(Message):
    """Show this evidence: a timeline event (``ev_...``) or a metric window (``mw_...``)."""

    ref: str


@dataclass
class OpenChart(Message):
    window_id: str


@dataclass
class ApproveRequested(Message):
    action_id: str
