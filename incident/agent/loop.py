"""The one investigation loop: the model calls read-only tools, then answers in JSON.

Stable prefix (tools, system prompt, the opening message with the timeline) is marked for prompt
caching. Before each call the budget is checked: when a tool step plus the answer would no
longer fit, or at the last step, the model is asked for its answer with no tools offered. An
unreadable answer gets one repair request. SDK errors propagate; the service falls back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from incident.agent.events import EventSink, ToolCalled, ToolFinished, usage_event
from incident.agent.render import render
from incident.agent.tools import AgentTools
from incident.config import AgentConfig
from incident.hypotheses import Evidence, HypothesisDraft
from incident.kinds import Kind
from incident.llm import UsageTotals, message_text, over_budget, parse_model, send

EPHEMERAL = {"type": "ephemeral"}


class AgentHypothesis(BaseModel):
    """One hypothesis as the model may state it: no steps, no actions, nothing else is read."""

    model_config = ConfigDict(extra="ignore")
    kind: Kind
    component: str = Field(min_length=1, max_length=255)
    confidence: float = Field(ge=0.0, le=1.0)
    summary: str = Field(min_length=1, max_length=2000)
    evidence: list[Evidence] = Field(default_factory=list, max_length=20)
    refutation: str = Field(default="", max_length=2000)


class AgentAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    hypotheses: list[AgentHypothesis] = Field(max_length=10)


def parse_answer(text: str) -> list[HypothesisDraft]:
    """The model's final JSON as drafts (``source="agent"``); ValueError says what is wrong."""
    answer = parse_model(AgentAnswer, text)
    return [
        HypothesisDraft(
            kind=h.kind,
            component=h.component,
            confidence=h.confidence,
            summary=h.summary,
            evidence=h.evidence,
            refutation=h.refutation,
            source="agent",
        )
        for h in answer.hypotheses
    ]


@dataclass
class LoopResult:
    drafts: list[HypothesisDraft] | None
    """None when the model gave no usable answer."""
    reason: str
    """``answered``, ``max_steps``, ``max_tokens``, ``max_cost_usd`` or ``invalid_json``, with details."""
    steps: int = 0
    repaired: bool = False


def _block(block: Any) -> dict[str, Any]:
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    if block.type == "text":
        return {"type": "text", "text": block.text or "(empty)"}
    dumped: dict[str, Any] = block.model_dump(exclude_none=True)
    return dumped


@dataclass
class Loop:
    client: Any
    cfg: AgentConfig
    tools: AgentTools
    usage: UsageTotals
    on_event: EventSink
    messages: list[dict[str, Any]] = field(default_factory=list)
    system: list[dict[str, Any]] = field(default_factory=list)

    def call(self, *, offer_tools: bool) -> Any:
        kwargs: dict[str, Any] = {"system": self.system, "messages": self.messages}
        if offer_tools:
            kwargs["tools"] = self.tools.definitions()
        message = send(self.client, self.cfg, model=self.cfg.model, max_tokens=self.cfg.max_output_tokens, **kwargs)
        self.usage.add(self.cfg, self.cfg.model, message.usage)
        self.on_event(usage_event(self.usage))
        return message

    def ask(self, text: str) -> None:
        """Add user text: to the last user turn (after its tool results), or as a new turn."""
        last = self.messages[-1] if self.messages else None
        if last is not None and last["role"] == "user":
            last["content"].append({"type": "text", "text": text})
        else:
            self.messages.append({"role": "user", "content": [{"type": "text", "text": text}]})

    def run(self, *, system: str, opening: str) -> LoopResult:
        self.system = [{"type": "text", "text": system, "cache_control": EPHEMERAL}]
        self.messages = [{"role": "user", "content": [{"type": "text", "text": opening, "cache_control": EPHEMERAL}]}]
        estimate = (len(system) + len(json.dumps(self.tools.definitions())) + len(opening)) // 3
        forced: str | None = None
        for step in range(1, self.cfg.max_steps + 1):
            if step == self.cfg.max_steps and forced is None:
                forced = f"max_steps: answer forced at step {step} of {self.cfg.max_steps}"
            if forced is None:
                forced = over_budget(self.cfg, self.usage, self.cfg.model, estimate, calls=2)
            if forced is not None:
                return self.answer(forced, estimate, step)
            message = self.call(offer_tools=True)
            uses = [b for b in message.content if b.type == "tool_use"]
            if not uses:
                return self.finish(message_text(message), "answered", estimate, step)
            estimate = self.usage_of(message)
            self.messages.append({"role": "assistant", "content": [_block(b) for b in message.content]})
            results = []
            for use in uses:
                self.on_event(ToolCalled(use.name, use.input if isinstance(use.input, dict) else {}, step))
                result = self.tools.call(use.name, use.input)
                self.on_event(ToolFinished(result.id, result.status, result.name))
                content = result.for_model()
                estimate += len(content) // 3
                results.append(
                    {
                        "type": "tool_result",
                        "tool_use_id": use.id,
                        "content": content,
                        "is_error": result.status == "error",
                    }
                )
            self.messages.append({"role": "user", "content": results})
        raise AssertionError("unreachable: the last step always answers")

    @staticmethod
    def usage_of(message: Any) -> int:
        u = message.usage
        return (
            (u.input_tokens or 0)
            + (u.cache_read_input_tokens or 0)
            + (u.cache_creation_input_tokens or 0)
            + (u.output_tokens or 0)
        )

    def answer(self, reason: str, estimate: int, step: int) -> LoopResult:
        """The last call: no tools offered, the model must answer (when even that fits the budget)."""
        broke = over_budget(self.cfg, self.usage, self.cfg.model, estimate, calls=1)
        if broke is not None:
            return LoopResult(None, broke, step - 1)
        code = reason.split(":", 1)[0]
        why = "This is your last turn." if code == "max_steps" else "The budget for this incident is nearly spent."
        self.ask(render("final_step", reason=why))
        message = self.call(offer_tools=False)
        return self.finish(message_text(message), reason, estimate + self.usage_of(message), step)

    def finish(self, text: str, reason: str, estimate: int, step: int) -> LoopResult:
        try:
            return LoopResult(parse_answer(text), reason, step)
        except ValueError as first:
            broke = over_budget(self.cfg, self.usage, self.cfg.model, estimate, calls=1)
            if broke is not None:
                return LoopResult(None, f"invalid_json: {first}; no budget for a repair ({broke})", step)
            self.messages.append({"role": "assistant", "content": [{"type": "text", "text": text or "(empty)"}]})
            self.ask(render("repair", error=str(first)))
            message = self.call(offer_tools=False)
            try:
                return LoopResult(parse_answer(message_text(message)), reason, step, repaired=True)
            except ValueError as second:
                return LoopResult(None, f"invalid_json: {first}; after a repair: {second}", step, repaired=True)
