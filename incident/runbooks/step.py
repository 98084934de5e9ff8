"""A rendered runbook step: what a hypothesis carries (``HypothesisDraft.steps``, stored as JSON)
and what proposals, renderers and the TUI read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

StepType = Literal["text", "diagnostic", "action", "link"]


class StepAction(BaseModel):
    model_config = ConfigDict(frozen=True)
    type: str
    """An :mod:`incident.actions.types` name."""
    params: dict[str, Any] = Field(default_factory=dict)


class Step(BaseModel):
    model_config = ConfigDict(frozen=True)
    runbook_id: str
    title: str
    index: int
    type: StepType
    text: str
    why: str | None = None
    diagnostic: dict[str, Any] | None = None
    """``{promql}`` or ``{kubernetes: {read, ...}}``."""
    action: StepAction | None = None
    url: str | None = None
    """Link steps only."""
    ready: bool = False
    """Every variable rendered and every parameter valid: an action step may be proposed."""
    missing: list[str] = Field(default_factory=list)
    """Template variables the incident did not provide."""
    invalid: list[str] = Field(default_factory=list)

    @property
    def proposable(self) -> StepAction | None:
        """The action a ready action step offers; None for any other step."""
        ready = self.type == "action" and self.ready
        return self.action if ready and self.action is not None and self.action.type else None

    def stored(self) -> dict[str, Any]:
        """The JSON form kept on a hypothesis (``url`` only on link steps)."""
        out = self.model_dump()
        if out["url"] is None:
            del out["url"]
        return out


def steps_of(stored: Iterable[dict[str, Any]] | None) -> list[Step]:
    """A hypothesis' stored steps, typed."""
    return [Step.model_validate(s) for s in stored or ()]
