"""``incident audit`` as an on-call engineer reads it: what each action was, not its internal id."""

from __future__ import annotations

import json
from pathlib import Path

from incident import actions
from incident.actions.types import describe
from tests.actions.conftest import World
from tests.actions.test_actions import rollback
from tests.test_cli import incident


def _config(world: World, tmp_path: Path) -> Path:
    world.store.close()
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[store]\nurl = "sqlite:///{world.db}"\n')
    return cfg


def test_audit_shows_what_the_action_was_and_keeps_the_id(world: World, tmp_path: Path) -> None:
    undo = rollback(world)
    actions.approve(world.store, action_id=undo.id, who="alice")
    title = describe(undo.type, dict(undo.params))[1]
    cfg = _config(world, tmp_path)

    out = incident("audit", str(world.incident_id), "--config", str(cfg))
    assert out.returncode == 0, out.stderr
    assert title in out.stdout and undo.id in out.stdout

    as_json = incident("--config", str(cfg), "audit", "--json")
    rows = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [(r["action"], r["action_id"], r["what"]) for r in rows] == [(title, undo.id, "approved")]


def test_audit_of_an_unknown_incident_says_so(world: World, tmp_path: Path) -> None:
    cfg = _config(world, tmp_path)
    out = incident("--config", str(cfg), "audit", "999")
    assert out.returncode == 1
    assert "no such incident 999" in out.stderr
    assert "no audit entries" not in out.stdout
