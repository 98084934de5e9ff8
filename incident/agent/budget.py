"""Moved: model-call usage and limits live in :mod:`incident.llm.usage`."""

from incident.llm.usage import UsageTotals as UsageTotals  # moved to incident.llm.usage
