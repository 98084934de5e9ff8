"""Model calls shared by the agent, the judge and the postmortem writer.

``client`` builds the Messages API client and holds :func:`send`, the one place a request leaves
the machine (redacted there); ``usage`` counts tokens and cost and says when a budget is spent;
``answers`` reads a reply's JSON into a pydantic model; ``prompts`` renders redacted templates.
"""

from incident.llm.answers import extract_json, parse_model, shape_error
from incident.llm.client import ask, build_client, message_text, send
from incident.llm.prompts import clip, prompt_renderer
from incident.llm.usage import UsageTotals, over_budget, price_for

__all__ = [
    "UsageTotals",
    "ask",
    "build_client",
    "clip",
    "extract_json",
    "message_text",
    "over_budget",
    "parse_model",
    "price_for",
    "prompt_renderer",
    "send",
    "shape_error",
]
