"""The replay clock: in a sandbox replay, what people do lands just after the recorded page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from incident import clock
from incident.config import load_settings
from incident.models import utcnow
from incident.sandbox.runner import Sandbox
from incident.scenario import load_scenario
from tests.conftest import SCENARIOS


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    yield
    clock.set_offset(0)


def test_the_clock_is_the_wall_clock_without_an_offset() -> None:
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=1)


def test_a_sandbox_replay_reads_the_page_time_at_its_start(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIOS / "checkout-bad-deploy")
    box = Sandbox(scenario, tmp_path / "sb", binaries=False)  # not started: only its config is read
    settings = load_settings(overlays=[box.config()], user_file=False)
    assert settings.replay.clock_offset_seconds < 0  # recorded pages are in the past
    clock.set_offset(settings.replay.clock_offset_seconds)
    drift = utcnow() - scenario.page_at
    assert timedelta(0) <= drift < timedelta(seconds=30), drift
