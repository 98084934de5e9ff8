"""A stand-in Anthropic Messages API (``POST /v1/messages``) with scripted replies.

The real ``anthropic`` SDK talks to it over loopback. Each request takes the next reply of the
script (a list, or a callable given the request body): a message dict (completed here into the
full ``Message`` shape with ids, ``stop_reason`` and ``usage``), a :class:`Response` (errors: use
:func:`error`), or :class:`Delayed` (answer late, for timeouts). Every request body is recorded,
so tests can assert what left the machine: the cached prefix, the tools offered, no secrets.

Usage is simulated like the API reports it: with ``cache_control`` on the prefix (tools and
system), the first request writes the prefix to the cache and later ones read it.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

from incident.sandbox.http import Request, Response, StandInServer

SANDBOX_ANTHROPIC_KEY = "sandbox-anthropic-key"
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass
class Delayed:
    """Answer ``reply`` after ``seconds`` (a client with a shorter timeout gives up first)."""

    seconds: float
    reply: Reply


Reply: TypeAlias = dict[str, Any] | Response | Delayed
Script: TypeAlias = list[Reply] | Callable[[dict[str, Any]], Reply]


def text(body: str, *, usage: dict[str, int] | None = None, stop_reason: str = "end_turn") -> dict[str, Any]:
    """A reply of one text block."""
    reply: dict[str, Any] = {"content": [{"type": "text", "text": body}], "stop_reason": stop_reason}
    if usage:
        reply["usage"] = usage
    return reply


def tool_use(*calls: tuple[str, Any], say: str = "", usage: dict[str, int] | None = None) -> dict[str, Any]:
    """A reply calling tools: ``tool_use(("list_pods", {"component": "cart"}), ...)``."""
    content: list[dict[str, Any]] = [{"type": "text", "text": say}] if say else []
    content += [{"type": "tool_use", "name": name, "input": args} for name, args in calls]
    reply: dict[str, Any] = {"content": content, "stop_reason": "tool_use"}
    if usage:
        reply["usage"] = usage
    return reply


def error(status: int, message: str = "scripted error", *, kind: str | None = None) -> Response:
    """An API error body as the Messages API sends it (529 is ``overloaded_error``)."""
    kind = kind or _ERROR_TYPES.get(status, "api_error")
    return Response(status, {"type": "error", "error": {"type": kind, "message": message}})


def _tokens(value: Any) -> int:
    return max(1, len(json.dumps(value, sort_keys=True)) // 4)


def _has_cache_control(blocks: Any) -> bool:
    return isinstance(blocks, list) and any(isinstance(b, dict) and "cache_control" in b for b in blocks)


def problems(body: Any) -> list[str]:
    """What the real API would reject in a request body (the subset the agent could get wrong)."""
    if not isinstance(body, dict):
        return ["body is not a JSON object"]
    out = [f"{key}: Field required" for key in ("model", "max_tokens", "messages") if key not in body]
    for tool in body.get("tools") or []:
        if not _TOOL_NAME.match(str(tool.get("name", ""))):
            out.append(f"tools: invalid name {tool.get('name')!r}")
    messages = body.get("messages") or []
    if messages and messages[0].get("role") != "user":
        out.append("messages: first message must use the user role")
    for i, msg in enumerate(messages):
        content = msg.get("content")
        uses = [b["id"] for b in content or [] if isinstance(b, dict) and b.get("type") == "tool_use"]
        if msg.get("role") != "assistant" or not uses:
            continue
        nxt = messages[i + 1] if i + 1 < len(messages) else {}
        given = {b.get("tool_use_id") for b in nxt.get("content") or [] if isinstance(b, dict)}
        missing = [u for u in uses if u not in given]
        if missing:
            out.append(f"messages.{i + 1}: tool_use ids without tool_result blocks: {missing}")
    return out


class MessagesStandIn(StandInServer):
    """``POST /v1/messages`` answering from a script; see the module docstring."""

    name = "anthropic"

    def __init__(
        self,
        script: Script | None = None,
        *,
        api_key: str | None = None,
        retry_after_ms: int = 5,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host, port)
        self.script: Script = script if script is not None else []
        self.api_key = api_key
        """When set, requests without this ``x-api-key`` get 401."""
        self.retry_after_ms = retry_after_ms
        """Sent on 429/5xx so the SDK's retries stay fast in tests."""
        self.bodies: list[dict[str, Any]] = []
        """Every request body, parsed, in arrival order."""
        self.raw_bodies: list[str] = []
        """Every request body as sent (for asserting that a string never left)."""
        self._lock = threading.Lock()
        self._cached: set[str] = set()
        self._served = 0
        self.route("POST", "/v1/messages", self._messages)

    def start(self) -> MessagesStandIn:
        super().start()
        server = self._server
        assert server is not None
        default = server.handle_error

        def handle_error(request: Any, client_address: Any) -> None:
            if isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
                return  # the client gave up waiting (timeout tests): nothing to report
            default(request, client_address)

        server.handle_error = handle_error  # type: ignore[method-assign]
        return self

    def reset(self, script: Script | None = None, *, api_key: str | None = None) -> MessagesStandIn:
        """Start over with a new script (one server for many tests): records and cache cleared."""
        with self._lock:
            self.script = script if script is not None else []
            self.api_key = api_key
            self.bodies.clear()
            self.raw_bodies.clear()
            self.requests.clear()
            self._cached.clear()
        return self

    def agent_config(self) -> dict[str, Any]:
        """The ``[agent]`` config section that points the copilot at this stand-in."""
        return {"api_key": self.api_key or SANDBOX_ANTHROPIC_KEY, "base_url": self.url}

    def _next(self, body: dict[str, Any], index: int) -> Reply:
        if callable(self.script):
            return self.script(body)
        if index < len(self.script):
            return self.script[index]
        reply = error(500, "stand-in: no scripted reply left")
        reply.headers["x-should-retry"] = "false"
        return reply

    def _messages(self, request: Request) -> Response:
        raw = request.body.decode("utf-8", "replace")
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            return error(400, "request body is not valid JSON")
        with self._lock:
            self.bodies.append(body)
            self.raw_bodies.append(raw)
            index = len(self.bodies) - 1
        if self.api_key is not None and request.headers.get("x-api-key") != self.api_key:
            return error(401, "invalid x-api-key")
        found = problems(body)
        if found:
            return error(400, "; ".join(found))
        reply = self._next(body, index)
        while isinstance(reply, Delayed):
            time.sleep(reply.seconds)
            reply = reply.reply
        if isinstance(reply, Response):
            if reply.status == 429 or reply.status >= 500:
                reply.headers.setdefault("retry-after-ms", str(self.retry_after_ms))
            return reply
        return Response(200, self._complete(reply, body))

    def _complete(self, reply: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._served += 1
            n = self._served
        content = []
        for i, block in enumerate(reply.get("content") or []):
            block = dict(block)
            if block.get("type") == "tool_use":
                block.setdefault("id", f"toolu_{n:04d}_{i}")
                block.setdefault("input", {})
            content.append(block)
        uses_tools = any(b.get("type") == "tool_use" for b in content)
        message = {
            "id": f"msg_{n:04d}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "claude-stand-in"),
            "content": content,
            "stop_reason": reply.get("stop_reason") or ("tool_use" if uses_tools else "end_turn"),
            "stop_sequence": None,
            "usage": {**self._usage(body, content), **(reply.get("usage") or {})},
        }
        return message

    def _usage(self, body: dict[str, Any], content: list[dict[str, Any]]) -> dict[str, int]:
        tools, system = body.get("tools") or [], body.get("system") or []
        prefix_tokens, written, read = 0, 0, 0
        if _has_cache_control(tools) or _has_cache_control(system):
            prefix_tokens = _tokens([tools, system])
            key = hashlib.sha256(json.dumps([body.get("model"), tools, system], sort_keys=True).encode()).hexdigest()
            with self._lock:
                hit = key in self._cached
                self._cached.add(key)
            read, written = (prefix_tokens, 0) if hit else (0, prefix_tokens)
            uncached = _tokens(body.get("messages"))
        else:
            uncached = _tokens([tools, system, body.get("messages")])
        return {
            "input_tokens": uncached,
            "output_tokens": _tokens(content),
            "cache_creation_input_tokens": written,
            "cache_read_input_tokens": read,
        }
