"""Token and cost accounting of a run of model calls (agent, judge, postmortem writer), and the limits that stop it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from incident.config import AgentConfig, ModelPrice


def price_for(cfg: AgentConfig, model: str) -> ModelPrice:
    """The configured price of ``model``; a dated or cloud id (``anthropic.claude-sonnet-4-5-2025...``)
    uses its family's price, and an unknown model the dearest known one, so a budget is never
    underestimated."""
    if model in cfg.prices:
        return cfg.prices[model]
    family = [name for name in cfg.prices if name in model]
    if family:
        return cfg.prices[max(family, key=len)]
    return max(cfg.prices.values(), key=lambda p: (p.output, p.input), default=ModelPrice(input=0, output=0))


@dataclass
class UsageTotals:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read: int = 0
    cache_write: int = 0
    cost_usd: float = 0.0
    calls: int = 0

    @property
    def tokens_in(self) -> int:
        return self.input_tokens + self.cache_read + self.cache_write

    @property
    def total_tokens(self) -> int:
        return self.tokens_in + self.output_tokens

    def add(self, cfg: AgentConfig, model: str, usage: Any) -> None:
        """Add one response's ``usage`` (the SDK's ``Usage``)."""
        price = price_for(cfg, model)
        inp, out = usage.input_tokens or 0, usage.output_tokens or 0
        read = getattr(usage, "cache_read_input_tokens", None) or 0
        write = getattr(usage, "cache_creation_input_tokens", None) or 0
        self.input_tokens += inp
        self.output_tokens += out
        self.cache_read += read
        self.cache_write += write
        self.calls += 1
        self.cost_usd += (
            inp * price.input + out * price.output + read * price.cache_read + write * price.cache_write
        ) / 1e6

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_input_tokens": self.cache_read,
            "cache_creation_input_tokens": self.cache_write,
            "cost_usd": round(self.cost_usd, 6),
        }


def over_budget(cfg: AgentConfig, totals: UsageTotals, model: str, est_input: int, calls: int = 1) -> str | None:
    """Why ``calls`` more calls of about ``est_input`` input tokens (each at most ``max_output_tokens``
    out) would exceed the run's limits, or None when they fit."""
    price = price_for(cfg, model)
    out = cfg.max_output_tokens
    tokens = totals.total_tokens + calls * (est_input + out)
    if tokens > cfg.max_tokens:
        return f"max_tokens: {totals.total_tokens} used, about {tokens} needed, limit {cfg.max_tokens}"
    cost = totals.cost_usd + calls * (est_input * price.input + out * price.output) / 1e6
    if cost > cfg.max_cost_usd:
        return f"max_cost_usd: ${totals.cost_usd:.4f} spent, about ${cost:.4f} needed, limit ${cfg.max_cost_usd:.2f}"
    return None
