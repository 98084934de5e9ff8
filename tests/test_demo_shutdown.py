"""The demo on a fresh machine: its log file's directory is created, and a terminated demo stops the
Prometheus and Alertmanager it started (Python's default SIGTERM skipped the sandbox's clean-up)."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from incident.cli import log_to_file


def test_logging_to_a_file_in_a_directory_that_does_not_exist_yet(tmp_path: Path) -> None:
    root = logging.getLogger()
    saved = list(root.handlers)
    try:
        log_to_file(tmp_path / "fresh" / "data" / "demo.log")
        logging.getLogger("incident.test").warning("hello")
        for handler in root.handlers:
            handler.flush()
        assert "hello" in (tmp_path / "fresh" / "data" / "demo.log").read_text()
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in saved:
            root.addHandler(handler)


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.binaries
@pytest.mark.skipif(
    shutil.which("prometheus") is None or not Path("/proc/self/task").is_dir(),
    reason="needs the prometheus binary and /proc",
)
def test_a_terminated_demo_stops_the_stand_ins_it_started(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENT_")}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")  # a fresh machine: the data directory does not exist
    proc = subprocess.Popen(
        [sys.executable, "-m", "incident", "demo", "--headless"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        started: set[int] = set()
        while time.monotonic() < deadline and not started:
            started = {p for p in _descendants(proc.pid) if "prometheus" in Path(f"/proc/{p}/comm").read_text()}
            time.sleep(0.1)
        assert started, "the demo did not start Prometheus"
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in started) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(p) for p in started), "Prometheus outlived the terminated demo"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
