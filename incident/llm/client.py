"""Build the Messages API client from ``[agent]`` config: Anthropic, or Claude on Bedrock/Vertex.

No key (provider ``anthropic``) means no client: the copilot runs the analyzer alone.
"""

from __future__ import annotations

from typing import Any

from incident.config import AgentConfig
from incident.llm.usage import UsageTotals
from incident.redact import redact_value


def build_client(cfg: AgentConfig) -> Any | None:
    """An ``anthropic`` SDK client, or None when the Anthropic provider has no API key.

    Bedrock and Vertex authenticate with the cloud's own credentials (resolved by the SDK).
    Construction errors (missing region, missing cloud extras) propagate to the caller.
    """
    timeout = cfg.timeout.total_seconds()
    common: dict[str, Any] = {"base_url": cfg.base_url, "timeout": timeout, "max_retries": cfg.max_retries}
    if cfg.provider == "bedrock":
        from anthropic import AnthropicBedrock

        key = cfg.api_key.get_secret_value() if cfg.api_key else None  # a Bedrock API key, when given
        return AnthropicBedrock(aws_region=cfg.aws_region, api_key=key, **common)
    if cfg.provider == "vertex":
        from anthropic import AnthropicVertex

        kwargs: dict[str, Any] = {}
        if cfg.vertex_region:
            kwargs["region"] = cfg.vertex_region
        if cfg.vertex_project:
            kwargs["project_id"] = cfg.vertex_project
        return AnthropicVertex(**kwargs, **common)
    if cfg.api_key is None:
        return None
    from anthropic import Anthropic

    return Anthropic(api_key=cfg.api_key.get_secret_value(), **common)


def message_text(message: Any) -> str:
    """The text blocks of a Messages API reply, joined."""
    return "".join(b.text for b in message.content if b.type == "text")


def send(client: Any, cfg: AgentConfig, **request: Any) -> Any:
    """The one place a Messages request leaves the machine: every string field of it (system,
    messages, tool inputs and results, tool definitions) is redacted first, whoever built it."""
    return client.messages.create(**redact_value(request, emails=cfg.redact_emails))


def ask(client: Any, cfg: AgentConfig, usage: UsageTotals, *, model: str, system: str, prompt: str) -> str:
    """One Messages call without tools (the judges, the postmortem writer): its text; usage counted."""
    message = send(
        client,
        cfg,
        model=model,
        max_tokens=cfg.max_output_tokens,
        system=system,
        messages=[{"role": "user", "content": prompt}],
    )
    usage.add(cfg, model, message.usage)
    return message_text(message)
