"""Exactly once: two processes racing on one approved action, crashes reconciled from the target
state (never re-executed), and timeouts."""

from __future__ import annotations

import multiprocessing
import threading
import time
from datetime import timedelta
from typing import Any

import pytest

from incident import actions
from incident.actions import Action
from incident.models import utcnow
from tests.actions.conftest import World
from tests.actions.test_actions import BAD, GOOD, audit, rollback


def _execute_in_child(db: str, cluster: dict[str, Any], action_id: str, who: str, barrier: Any, out: Any) -> None:
    """One 'TUI': its own process, Store, connectors; executes when both are ready."""
    from connectors.kubernetes.client import KubernetesConnector
    from incident.actions import ActionError, execute
    from incident.config import load_settings
    from incident.registry import Connectors
    from incident.store import Store

    settings = load_settings(overlays=[{"store": {"url": f"sqlite:///{db}"}, "kubernetes": cluster}], user_file=False)
    store = Store(settings.store.url)
    connectors = Connectors(kubernetes=KubernetesConnector(settings.kubernetes))
    barrier.wait(timeout=60)
    try:
        done = execute(store, action_id=action_id, connectors=connectors, settings=settings, who=who)
        out.put((who, "executed", done.status))
    except ActionError as exc:
        out.put((who, "refused", exc.message))
    finally:
        store.close()


def test_two_processes_racing_on_one_approved_action_execute_it_once(world: World) -> None:
    undo = rollback(world)
    actions.approve(world.store, action_id=undo.id, who="alice")
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(
            target=_execute_in_child,
            args=(str(world.db), world.cluster.connector_config(), undo.id, who, barrier, out),
        )
        for who in ("tui-1", "tui-2")
    ]
    for proc in procs:
        proc.start()
    results = sorted(out.get(timeout=60) for _ in procs)
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0
    outcomes = sorted(r[1] for r in results)
    assert outcomes == ["executed", "refused"], results
    assert next(r for r in results if r[1] == "executed")[2] == "succeeded"
    assert "already being executed or done" in next(r for r in results if r[1] == "refused")[2]
    assert world.patches() == 2  # one dry run and one rollback, from the winner only
    assert world.image() == GOOD
    assert [e.what for e in audit(world)] == ["approved", "executing", "succeeded"]


def crashed(world: World, *, with_dry_run: bool = True, minutes_ago: float = 5) -> Action:
    """The rollback as a process that died mid-execution left it."""
    undo = rollback(world)
    actions.approve(world.store, action_id=undo.id, who="alice")
    dry = actions.preview(action=undo, connectors=world.connectors, settings=world.settings).dry_run
    with world.store.session() as s:
        row = s.get(Action, undo.id)
        assert row is not None
        row.status, row.executed_by = "executing", "alice"
        row.executed_at = utcnow() - timedelta(minutes=minutes_ago)
        row.dry_run = dry if with_dry_run else None
    return undo


def test_crash_after_the_patch_is_reconciled_as_succeeded_without_a_second_patch(world: World) -> None:
    undo = crashed(world)
    world.connectors.kubernetes.rollout_undo("shop", "checkout", 7)  # the PATCH sent before the crash
    assert world.image() == GOOD
    patches = world.patches()
    settled = actions.reconcile(world.store, connectors=world.connectors, settings=world.settings)
    assert [(a.id, a.status) for a in settled] == [(undo.id, "succeeded")]
    assert "revision 7" in settled[0].result["message"]
    assert world.patches() == patches
    entries = audit(world)
    assert [e.what for e in entries] == ["approved", "reconciled"]
    assert entries[-1].detail["status"] == "succeeded"
    assert actions.reconcile(world.store, connectors=world.connectors, settings=world.settings) == []


def test_crash_before_the_change_landed_is_failed_and_never_re_executed(world: World) -> None:
    undo = crashed(world)
    patches = world.patches()
    settled = actions.reconcile(world.store, connectors=world.connectors, settings=world.settings)
    assert [(a.id, a.status) for a in settled] == [(undo.id, "failed")]
    assert "still at revision 8" in (settled[0].error or "")
    assert world.patches() == patches and world.image() == BAD
    with pytest.raises(actions.ActionError):
        actions.execute(world.store, action_id=undo.id, connectors=world.connectors, settings=world.settings, who="a")


def test_crash_before_the_dry_run_was_stored_means_nothing_was_sent(world: World) -> None:
    crashed(world, with_dry_run=False)
    reads = len(world.cluster.requests)
    [settled] = actions.reconcile(world.store, connectors=world.connectors, settings=world.settings)
    assert settled.status == "failed" and "before anything was sent" in (settled.error or "")
    assert len(world.cluster.requests) == reads  # not even a read was needed


def test_an_execution_still_in_progress_elsewhere_is_left_alone(world: World) -> None:
    undo = crashed(world, minutes_ago=0)
    assert actions.reconcile(world.store, connectors=world.connectors, settings=world.settings) == []
    with world.store.session() as s:
        assert s.get(Action, undo.id).status == "executing"
    settled = actions.reconcile(world.store, connectors=world.connectors, settings=world.settings, grace=timedelta(0))
    assert [a.status for a in settled] == ["failed"]


def test_a_target_that_does_not_answer_in_time_fails_the_dry_run_and_changes_nothing(world: World) -> None:
    undo = rollback(world)
    actions.approve(world.store, action_id=undo.id, who="alice")
    world.cluster.delay_seconds = 1.0
    impatient = world.with_settings(timeout="0.3s")
    done = actions.execute(world.store, action_id=undo.id, connectors=world.connectors, settings=impatient, who="a")
    assert done.status == "failed"
    assert "no answer within 0.3s" in (done.error or "") and "nothing was changed" in (done.error or "")
    for thread in threading.enumerate():  # the abandoned call ends on its own; let it, before teardown
        if thread.name.startswith("action: "):
            thread.join(timeout=10)
    world.cluster.delay_seconds = 0
    assert world.image() == BAD


def test_a_running_watcher_settles_an_action_a_killed_process_left_executing(world: World) -> None:
    """Reconciling ran only when a watcher started: an action left executing by a TUI killed while
    the watcher kept running stayed so until the watcher's next restart."""
    from incident.watcher import Watcher

    watcher_cfg = world.settings.watcher.model_copy(update={"refresh_interval": timedelta(seconds=0.5)})
    settings = world.settings.model_copy(update={"watcher": watcher_cfg})
    watcher = Watcher(settings, world.store, world.connectors)
    watcher.start()
    try:
        undo = crashed(world, with_dry_run=False)  # after the start: only a periodic reconcile sees it
        patches = world.patches()
        deadline = time.monotonic() + 15
        while True:
            with world.store.session() as s:
                status = s.get(Action, undo.id).status  # type: ignore[union-attr]
            if status != "executing":
                break
            assert time.monotonic() < deadline, "still executing: nothing reconciles while the watcher runs"
            time.sleep(0.1)
    finally:
        watcher.stop()
    assert status == "failed"
    assert world.patches() == patches  # settled from the target's state, never re-executed
