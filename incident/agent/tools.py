"""The agent's read-only tools: definitions for the Messages API and a dispatcher that never raises.

Every call returns a :class:`ToolResult` with a status (``ok``, ``error``, ``no_data``) and an
id ``tr_<n>`` the model can cite as evidence. Arguments are validated first (a malformed call
becomes an ``error`` result the model can correct); content is redacted JSON of bounded size.
There is deliberately no tool that writes: the agent proposes, people act.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import ValidationError

from incident.agent import toolbox
from incident.agent.render import to_json
from incident.config import Settings
from incident.errors import CopilotError
from incident.registry import Connectors
from incident.store import Store

log = logging.getLogger(__name__)

Status = Literal["ok", "error", "no_data"]
READ_ONLY_TOOLS = frozenset(toolbox.TOOLS)
"""Every tool the agent is offered; all of them only read."""


@dataclass(frozen=True)
class ToolResult:
    id: str
    name: str
    status: Status
    content: str
    """Redacted JSON, at most the tool size cap."""
    args: dict[str, Any] = field(default_factory=dict)

    def for_model(self) -> str:
        """What the model reads: the id to cite, the status, the content."""
        return f"[{self.id}] status={self.status}\n{self.content}"


def _strip_titles(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _strip_titles(v) for k, v in schema.items() if k != "title"}
    if isinstance(schema, list):
        return [_strip_titles(v) for v in schema]
    return schema


class AgentTools:
    """The tools of one agent run over one incident, answering as of its page time."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        connectors: Connectors,
        incident_id: int,
        page_at: datetime,
        component: str | None = None,
        namespace: str | None = None,
        max_chars: int = 6000,
    ) -> None:
        self.ctx = toolbox.Context(
            settings=settings,
            store=store,
            connectors=connectors,
            incident_id=incident_id,
            page_at=page_at,
            component=component,
            namespace=namespace,
        )
        self.max_chars = max_chars
        self.results: dict[str, ToolResult] = {}
        """This run's results by id, for the judge and for citations."""

    @staticmethod
    def definitions() -> list[dict[str, Any]]:
        """Tool definitions as the Messages API takes them (name, description, input_schema)."""
        return [
            {"name": t.name, "description": t.description, "input_schema": _strip_titles(t.args.model_json_schema())}
            for t in toolbox.TOOLS.values()
        ]

    def call(self, name: str, args: Any) -> ToolResult:
        """Run one tool call; every failure becomes an ``error`` result, never an exception."""
        rid = f"tr_{len(self.results) + 1}"
        given = args if isinstance(args, dict) else {"input": args}
        tool = toolbox.TOOLS.get(name)
        if tool is None:
            known = ", ".join(sorted(toolbox.TOOLS))
            return self._keep(rid, name, "error", {"error": f"unknown tool {name!r}; the tools are: {known}"}, given)
        try:
            parsed = tool.args.model_validate(args)
        except ValidationError as exc:
            problems = [f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()]
            return self._keep(rid, name, "error", {"error": "invalid arguments", "problems": problems}, given)
        try:
            data = tool.run(self.ctx, parsed)
        except toolbox.NoData as exc:
            return self._keep(rid, name, "no_data", {"message": str(exc)}, given)
        except CopilotError as exc:
            return self._keep(rid, name, "error", {"error": exc.message}, given)
        except Exception as exc:  # a tool bug must not end the investigation
            log.exception("agent tool %s failed", name)
            return self._keep(rid, name, "error", {"error": f"{type(exc).__name__}: {exc}"}, given)
        if data in (None, [], {}):
            return self._keep(rid, name, "no_data", {"message": "nothing found"}, given)
        return self._keep(rid, name, "ok", data, given)

    def _keep(self, rid: str, name: str, status: Status, data: Any, args: dict[str, Any]) -> ToolResult:
        result = ToolResult(rid, name, status, to_json(data, self.max_chars), args)
        self.results[rid] = result
        return result
