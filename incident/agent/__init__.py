"""The Claude agent: investigates an incident with read-only tools, starting from the analyzer's
hypotheses, and answers in the same schema; a separate judge checks every answer's evidence.

::

    run_agent(settings=, store=, connectors=, incident_id=, analyzer_drafts=, on_event=) -> AgentOutcome

Layout: ``tools``/``toolbox`` (read-only tools), ``loop`` (the one tool loop), ``judge``,
``events`` (progress for the UI), ``render`` + ``prompts/*.jinja2`` (what the model reads),
``service`` (the whole flow). The client, the send point, usage and JSON answers are shared with
the postmortem writer in :mod:`incident.llm`.
"""

from incident.agent.events import AgentEvent, AgentFinished, AgentStarted, ToolCalled, ToolFinished, Usage
from incident.agent.service import AgentOutcome, run_agent
from incident.agent.tools import READ_ONLY_TOOLS, AgentTools, ToolResult

__all__ = [
    "READ_ONLY_TOOLS",
    "AgentEvent",
    "AgentFinished",
    "AgentOutcome",
    "AgentStarted",
    "AgentTools",
    "ToolCalled",
    "ToolFinished",
    "ToolResult",
    "Usage",
    "run_agent",
]
