"""The demo keeps its store in the data directory and prints commands that work against it."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import pytest

from incident.cli_support import PIPED_WIDTH
from incident.locations import data_dir
from tests.conftest import SCENARIOS
from tests.test_cli import incident


@pytest.mark.skipif(not (SCENARIOS / "checkout-bad-deploy").is_dir(), reason="default scenario missing")
def test_demo_store_is_kept_and_the_printed_commands_work() -> None:
    assert os.environ["XDG_DATA_HOME"]  # isolated by conftest; the subprocess inherits it
    out = incident("demo", "--headless", timeout=180)
    assert out.returncode == 0, out.stderr
    assert (data_dir() / "demo.db").is_file()
    printed = [line.strip() for line in out.stderr.splitlines() if line.strip().startswith("incident --config")]
    commands = {tuple(shlex.split(line)[3:]): shlex.split(line)[1:] for line in printed}
    assert set(commands) == {("show", "latest"), ("postmortem", "latest"), ("tui",)}

    show = incident(*commands["show", "latest"])
    assert show.returncode == 0, show.stderr
    assert "checkout" in show.stdout
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS" and not k.startswith("INCIDENT_")}
    piped = subprocess.run(
        [sys.executable, "-m", "incident", *commands["show", "latest"]], capture_output=True, text=True, env=env
    )
    widest = max(len(line) for line in piped.stdout.splitlines())
    assert widest < PIPED_WIDTH, "piped tables must not be stretched to the unwrapped console's width"
    postmortem = incident(*commands["postmortem", "latest"], "--no-llm")
    assert postmortem.returncode == 0, postmortem.stderr
    assert postmortem.stdout.startswith("# Postmortem")
    full = [sys.executable, "-c", "from tui.cli import main; main()"]  # the `incident` script, with the UI
    tui_help = subprocess.run([*full, *commands[("tui",)], "--help"], capture_output=True, text=True, timeout=60)
    assert tui_help.returncode == 0, tui_help.stderr

    again = incident("demo", "--headless", timeout=180)  # a second run starts from an empty demo store
    assert again.returncode == 0, again.stderr
    listed = incident(*commands["show", "latest"][:2], "list")
    assert listed.stdout.count("checkout: more than 5%") == 1, listed.stdout
