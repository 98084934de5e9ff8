"""Config files an on-call engineer gets wrong end in one clear line (exit 2), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from incident.cli import hoist_config
from tests.test_cli import incident


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_directory_as_config_is_a_clear_error(tmp_path: Path, where: str) -> None:
    args = ["--config", str(tmp_path), "list"] if where == "before" else ["list", "--config", str(tmp_path)]
    out = incident(*args)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr + out.stdout
    assert "is a directory" in out.stderr


def test_a_non_utf8_config_is_a_clear_error(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_bytes(b'[store]\nurl = "caf\xe9"\n')
    out = incident("list", "-c", str(cfg))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr + out.stdout
    assert "not UTF-8" in out.stderr


def test_config_after_the_subcommand_is_used(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[store]\nurl = "sqlite:///{tmp_path}/d.db"\n')
    out = incident("list", "--config", str(cfg))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "d.db").exists()


def test_hoisting_leaves_other_arguments_in_order() -> None:
    assert hoist_config(["runbooks", "check", "--config=f", "dir"]) == ["--config=f", "runbooks", "check", "dir"]
    assert hoist_config(["eval", "-c", "f", "a", "--", "--config", "x"]) == [
        "-c",
        "f",
        "eval",
        "a",
        "--",
        "--config",
        "x",
    ]
