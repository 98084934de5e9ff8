"""Executing approved actions exactly once, and reconciling the ones a crash left behind.

Only an action that is still what was approved executes (:mod:`incident.actions.binding`); any
other is refused, on the audit log and the timeline.

An execution is four committed steps, so a crash at any point leaves a readable trail:

1. claim: ``UPDATE ... SET status='executing' WHERE status='approved'`` (one process wins) with
   its audit entry;
2. the dry run, stored on the action *before* the real call (no dry run stored: nothing was sent);
3. the call itself, under ``[actions] timeout``;
4. the outcome (succeeded, failed, or unknown after a timeout) with its audit entry.

:func:`reconcile` finds actions stuck in step 3 and reads the target back; it never re-executes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from incident.actions.audit import record, refusal
from incident.actions.binding import binding_problem
from incident.actions.executors import (
    C,
    Executor,
    Outcome,
    connector_for,
    executor_for,
    plain_error,
    with_timeout,
)
from incident.actions.paging import expire
from incident.actions.proposals import ActionError, allowed_by, get_action, rows_changed
from incident.actions.types import SILENCE
from incident.config import Settings
from incident.errors import ConnectorTimeout, CopilotError
from incident.models import Action, ActionStatus, utcnow
from incident.registry import Connectors
from incident.store import Store
from incident.timeline import jsonable


class _Unbound(Exception):
    """The claimed row is not what was approved (changed between the check and the claim)."""


def _refuse(store: Store, action_id: str, who: str, problem: str) -> ActionError:
    """Put the refusal on the audit log and the timeline (committed), and return the error to raise."""
    with store.session() as session:
        action = get_action(session, action_id)
        detail = {"reason": problem, "params": action.params, "target": action.target, "type": action.type}
        record(session, action, who=who, what="refused", detail=detail)
        return ActionError(f"cannot execute '{action.title}': {problem}")


def _claim(store: Store, action_id: str, who: str) -> Action:
    """Claim the action; the binding is checked again on the claimed row, in the claiming transaction."""
    try:
        with store.session() as session:
            claimed = rows_changed(
                session.execute(
                    update(Action)
                    .where(Action.id == action_id, Action.status == ActionStatus.approved)
                    .values(status=ActionStatus.executing, executed_by=who, executed_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
            )
            action = get_action(session, action_id)
            session.refresh(action)
            if not claimed:
                raise ActionError(refusal(action, "execute"))
            problem = binding_problem(session, action)
            if problem is not None:
                raise _Unbound(problem)  # rolls the claim back
            record(session, action, who=who, what="executing", detail={"params": action.params})
            return action
    except _Unbound as exc:
        raise _refuse(store, action_id, who, str(exc)) from None


def _finish(
    store: Store,
    action_id: str,
    *,
    who: str,
    what: str,
    status: str,
    result: dict[str, Any] | None = None,
    error: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Action:
    """Record the outcome, unless someone else (a reconcile) already did."""
    with store.session() as session:
        done = rows_changed(
            session.execute(
                update(Action)
                .where(Action.id == action_id, Action.status == ActionStatus.executing)
                .values(status=status, finished_at=utcnow(), result=jsonable(result), error=error)
                .execution_options(synchronize_session=False)
            )
        )
        action = get_action(session, action_id)
        session.refresh(action)
        if done:
            detail = {"status": status, "dry_run": action.dry_run, "result": action.result, "error": error}
            record(session, action, who=who, what=what, detail=detail | (extra or {}))
        return action


def _save_dry_run(store: Store, action_id: str, dry: dict[str, Any]) -> None:
    with store.session() as session:
        session.execute(
            update(Action)
            .where(Action.id == action_id, Action.status == ActionStatus.executing)
            .values(dry_run=jsonable(dry))
            .execution_options(synchronize_session=False)
        )


def _observe(executor: Executor[C], conn: C, action: Action, seconds: float) -> Outcome:
    try:
        return with_timeout(lambda: executor.observe(conn, action), seconds, f"read back {action.target}")
    except Exception as exc:
        return Outcome("unknown", f"cannot read the state of {action.target}: {plain_error(exc, action)}")


def execute(store: Store, *, action_id: str, connectors: Connectors, settings: Settings, who: str) -> Action:
    """Execute an approved action once; two callers racing on one action: one runs, one gets ActionError."""
    with store.session() as session:
        action = get_action(session, action_id)
        problem = binding_problem(session, action) if action.status == ActionStatus.approved else None
    if action.status != ActionStatus.approved:
        raise ActionError(refusal(action, "execute"))
    if problem is not None:
        raise _refuse(store, action_id, who, problem)
    reason = allowed_by(settings, action.type, action.params)
    if reason is not None:
        raise ActionError(f"cannot execute '{action.title}': not allowed ({reason})")
    try:
        executor = executor_for(action)
        conn = connector_for(executor, connectors)
    except CopilotError as exc:
        raise ActionError(f"cannot execute '{action.title}': {exc.message}") from exc
    action = _claim(store, action_id, who)
    seconds = settings.actions.timeout.total_seconds()
    try:
        dry = with_timeout(lambda: executor.dry_run(conn, action, settings), seconds, f"dry run of {action.type}")
    except Exception as exc:
        error = f"dry run failed, nothing was changed: {plain_error(exc, action)}"
        return _finish(store, action_id, who=who, what="failed", status=ActionStatus.failed, error=error)
    _save_dry_run(store, action_id, dry)
    action.dry_run = jsonable(dry)
    unchanged = executor.noop(action, dry)
    if unchanged is not None:
        return _finish(store, action_id, who=who, what="succeeded", status=ActionStatus.succeeded, result=unchanged)
    try:
        result = with_timeout(lambda: executor.run(conn, action, settings, who, dry), seconds, action.title)
    except ConnectorTimeout as exc:
        seen = _observe(executor, conn, action, seconds)
        if seen.status == ActionStatus.succeeded:
            result = {**seen.result, "message": f"{seen.message} (read back after a timeout)"}
            return _finish(store, action_id, who=who, what="succeeded", status=ActionStatus.succeeded, result=result)
        error = f"{plain_error(exc, action)}; the change may still be applied: check {action.target} before retrying"
        return _finish(store, action_id, who=who, what="failed", status=ActionStatus.unknown, error=error)
    except CopilotError as exc:
        return _finish(
            store, action_id, who=who, what="failed", status=ActionStatus.failed, error=plain_error(exc, action)
        )
    except Exception as exc:  # our own bug after the call may have been sent: do not claim it failed
        error = f"{plain_error(exc, action)}; the outcome is unknown: check {action.target}"
        return _finish(store, action_id, who=who, what="failed", status=ActionStatus.unknown, error=error)
    return _finish(store, action_id, who=who, what="succeeded", status=ActionStatus.succeeded, result=result)


def reconcile(
    store: Store, *, connectors: Connectors, settings: Settings, grace: timedelta | None = None
) -> list[Action]:
    """Settle actions left 'executing' by a crash from the target's state; never re-execute.

    Only actions executing for longer than ``grace`` are touched (default: twice ``[actions]
    timeout`` plus 10 s), so a live execution in another process is left alone.
    """
    seconds = settings.actions.timeout.total_seconds()
    grace = grace if grace is not None else timedelta(seconds=2 * seconds + 10)
    cutoff = utcnow() - grace
    with store.session() as session:
        stuck = [
            a
            for a in session.scalars(select(Action).where(Action.status == ActionStatus.executing))
            if a.executed_at is None or a.executed_at <= cutoff
        ]
    out: list[Action] = []
    for action in stuck:
        if action.dry_run is None:  # the dry run is stored before the real call
            seen = Outcome("failed", "interrupted before anything was sent to the target")
        else:
            try:
                executor = executor_for(action)
                conn = connector_for(executor, connectors)
            except CopilotError as exc:
                seen = Outcome("unknown", f"cannot read the state of {action.target}: {exc.message}")
            else:
                seen = _observe(executor, conn, action, seconds)
        result = {**seen.result, "message": seen.message} if seen.status == ActionStatus.succeeded else None
        error = None if seen.status == ActionStatus.succeeded else seen.message
        out.append(
            _finish(
                store,
                action.id,
                who=action.executed_by or "copilot",
                what="reconciled",
                status=seen.status,
                result=result,
                error=error,
                extra={"message": seen.message},
            )
        )
    return out


def expire_silence(store: Store, *, action_id: str, connectors: Connectors, settings: Settings, who: str) -> Action:
    """Expire the silence a succeeded ``alertmanager.silence`` action created (audit: ``expired``)."""
    with store.session() as session:
        action = get_action(session, action_id)
    silence_id = (action.result or {}).get("silence_id")
    if action.type != SILENCE.name or action.status != ActionStatus.succeeded or not silence_id:
        raise ActionError(f"'{action.title}' is not a silence that was created")
    try:
        executor = executor_for(action)
        conn = connector_for(executor, connectors)
        seconds = settings.actions.timeout.total_seconds()
        done = with_timeout(lambda: expire(conn, silence_id), seconds, f"expire silence {silence_id}")
    except Exception as exc:
        raise ActionError(f"cannot expire silence {silence_id}: {plain_error(exc, action)}") from exc
    with store.session() as session:
        row = get_action(session, action_id)
        row.result = {**(row.result or {}), "expired_at": utcnow().isoformat()}
        record(session, row, who=who, what="expired", detail=done)
        return row
