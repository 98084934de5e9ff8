"""``incident eval`` as it is piped: one progress line per scenario on stderr, full scenario names,
table rows that do not wrap at 80 columns."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SCENARIOS

LONG = "cart-oom-after-the-new-recommendation-cache-doubled-its-heap"


@pytest.mark.skipif(not (SCENARIOS / "cart-oom").is_dir(), reason="bundled scenario cart-oom missing")
def test_piped_eval_prints_progress_and_unwrapped_rows_with_full_names(tmp_path: Path) -> None:
    case = tmp_path / LONG
    shutil.copytree(SCENARIOS / "cart-oom", case)
    spec = case / "scenario.yaml"
    spec.write_text(re.sub(r"(?m)^name: .*$", f"name: {LONG}", spec.read_text()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENT_") and k != "COLUMNS"}
    run = subprocess.run(
        [sys.executable, "-m", "incident", "eval", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    progress = [line for line in run.stderr.splitlines() if line.startswith("[1/1] ")]
    assert progress == [f"[1/1] {LONG}: truth ranked #1, kind right ({progress[0].rsplit('(', 1)[1]}"], run.stderr
    [row] = [line for line in run.stdout.splitlines() if LONG in line]
    assert "cart:oom" in row and len(row.rstrip()) > 80  # one line, wider than a default console
