"""What every action type knows how to do: dry-run, describe, run, and read back its target.

An executor never records anything; :mod:`incident.actions.execute` owns state and audit. The
four steps per type:

- ``dry_run``: what would change, from the target itself (Kubernetes' server-side dry run, the
  current silences, the PagerDuty incident). Never mutates.
- ``lines``: the dry run in words, for the confirmation screen.
- ``noop``: a result when there is nothing to change (idempotency), else None.
- ``run``: make the change; ``observe``: after a crash, read the target to tell what happened.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from incident.config import Settings
from incident.errors import ConnectorError, ConnectorTimeout, CopilotError
from incident.models import Action
from incident.registry import Connectors

T = TypeVar("T")
C = TypeVar("C")
"""The connector protocol an executor acts through (:mod:`connectors.base`)."""


@dataclass(frozen=True)
class Outcome:
    """What reading the target back says about an interrupted action."""

    status: str
    """succeeded, failed or unknown."""
    message: str
    result: dict[str, Any] = field(default_factory=dict)


class Executor(Generic[C]):
    connector = ""
    """Attribute of :class:`incident.registry.Connectors` this type acts through."""
    protocol: type[C]
    """The runtime-checkable protocol that connector must implement (:func:`connector_for` checks it)."""

    def dry_run(self, conn: C, action: Action, settings: Settings) -> dict[str, Any]:
        raise CopilotError(f"{action.type} has no dry run")

    def lines(self, action: Action, dry: dict[str, Any]) -> list[str]:
        return []

    def noop(self, action: Action, dry: dict[str, Any]) -> dict[str, Any] | None:
        return None

    def run(self, conn: C, action: Action, settings: Settings, who: str, dry: dict[str, Any]) -> dict[str, Any]:
        raise CopilotError(f"{action.type} cannot be executed")

    def observe(self, conn: C, action: Action) -> Outcome:
        return Outcome("unknown", f"the state of {action.target} cannot be read back; check it by hand")


def with_timeout(fn: Callable[[], T], seconds: float, what: str) -> T:
    """Run ``fn`` in a thread and stop waiting after ``seconds`` (the call itself may go on)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name=f"action: {what}", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise ConnectorTimeout(f"{what}: no answer within {seconds:g}s")
    if "error" in box:
        raise box["error"]
    return cast(T, box["value"])


def plain_error(exc: BaseException, action: Action) -> str:
    """An error from the target, in words: what was not found or refused, then the API's own text."""
    if not isinstance(exc, CopilotError):
        return f"unexpected error: {type(exc).__name__}: {exc}"
    message = exc.message
    status = exc.http_status if isinstance(exc, ConnectorError) else None
    if status == 404:
        return f"{action.target} (or something it needs) was not found: {message}"
    if status in (401, 403):
        return f"not permitted on {action.target}: {message}"
    if status == 409:
        return f"{action.target} was changed by someone else meanwhile: {message}"
    if status in (400, 422):
        return f"the request was refused as invalid: {message}"
    return message


def registry() -> dict[str, Executor[Any]]:
    from incident.actions.types import TYPES  # the registry imports the executors

    return {t.name: t.executor for t in TYPES}


def executor_for(action: Action) -> Executor[Any]:
    found = registry().get(action.type)
    if found is None:
        raise CopilotError(f"no executor for action type {action.type!r}")
    return found


def connector_for(executor: Executor[C], connectors: Connectors) -> C:
    """The connector an executor needs, as its protocol, or a CopilotError saying why it is not there."""
    conn = getattr(connectors, executor.connector, None)
    if conn is None:
        why = connectors.disabled.get(executor.connector, "not configured")
        raise CopilotError(f"{executor.connector} is not available: {why}")
    if not isinstance(conn, executor.protocol):
        why = f"{type(conn).__name__} does not implement {executor.protocol.__name__}"
        raise CopilotError(f"{executor.connector} is not available: {why}")
    return conn
