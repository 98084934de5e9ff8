"""Restart completes the work (issue 10, point 5): an incident whose timeline was gathered but not
analysed (a kill between the two) is analysed when a watcher starts, resolved or not."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from incident.config import Settings, load_settings
from incident.models import Hypothesis, Incident
from incident.registry import Connectors, build_connectors
from incident.sandbox.runner import Sandbox
from incident.scenario import load_scenario
from incident.store import Store
from incident.watcher import Watcher
from tests.conftest import SCENARIOS

DEFAULT = SCENARIOS / "checkout-bad-deploy"
pytestmark = pytest.mark.skipif(not DEFAULT.is_dir(), reason="bundled default scenario missing")


@pytest.fixture(scope="module")
def gathered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A store holding one incident gathered and analysed by a watcher, and the config used."""
    root = tmp_path_factory.mktemp("restart")
    with Sandbox(load_scenario(DEFAULT), root / "sb", binaries=False) as box:
        cfg = box.config(store_url=f"sqlite:///{root / 'gathered.db'}")
        settings = load_settings(overlays=[cfg], user_file=False)
        store = Store(settings.store.url)
        watcher = Watcher(settings, store, build_connectors(settings))
        try:
            assert watcher.run_once()
        finally:
            watcher.stop()
        store.close()
    return root / "gathered.db", cfg


def restarted(db: Path, cfg: dict, tmp_path: Path) -> tuple[Store, Settings]:
    """A copy of the gathered store, opened with the same settings (no sources: only the store)."""
    copy = tmp_path / "copy.db"
    shutil.copy(db, copy)
    settings = load_settings(overlays=[cfg | {"store": {"url": f"sqlite:///{copy}"}}], user_file=False)
    return Store(settings.store.url), settings


def paged(session: Session) -> Incident:
    """The first incident the watcher gathered and analysed."""
    analysed = select(Hypothesis.incident_id).where(Hypothesis.source == "analyzer")
    incident = session.scalars(select(Incident).where(Incident.id.in_(analysed)).order_by(Incident.id)).first()
    assert incident is not None
    return incident


def analysed_at(store: Store, incident_id: int) -> datetime | None:
    with store.session() as s:
        return s.scalar(
            select(func.max(Hypothesis.updated_at)).where(
                Hypothesis.incident_id == incident_id, Hypothesis.source == "analyzer"
            )
        )


def start_and_wait(store: Store, settings: Settings, done: Callable[[], bool], timeout: float = 20) -> None:
    watcher = Watcher(settings, store, Connectors())
    watcher.start()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not done():
            time.sleep(0.1)
    finally:
        watcher.stop()


def test_a_resolved_incident_gathered_without_hypotheses_is_analysed_on_start(
    gathered: tuple[Path, dict], tmp_path: Path
) -> None:
    store, settings = restarted(*gathered, tmp_path)
    with store.session() as s:  # the state a kill between gathering and analysis leaves behind
        incident = paged(s)
        assert incident.gathered_at is not None
        incident.status = "resolved"
        incident.analysed_at = None
        s.execute(delete(Hypothesis).where(Hypothesis.incident_id == incident.id))
        incident_id = incident.id
    assert analysed_at(store, incident_id) is None
    start_and_wait(store, settings, lambda: analysed_at(store, incident_id) is not None)
    assert analysed_at(store, incident_id) is not None
    with store.session() as s:
        ranked = list(s.scalars(select(Hypothesis).where(Hypothesis.incident_id == incident_id)))
        assert ranked and {h.source for h in ranked} == {"analyzer"}
        resolved = s.get(Incident, incident_id)
        assert resolved is not None and resolved.status == "resolved"  # analysed, not reopened
    store.close()


def test_an_incident_regathered_after_its_last_analysis_is_analysed_again(
    gathered: tuple[Path, dict], tmp_path: Path
) -> None:
    store, settings = restarted(*gathered, tmp_path)
    with store.session() as s:
        incident = paged(s)
        incident_id = incident.id
        before = analysed_at(store, incident_id)
        assert before is not None
        # re-gathered, killed before re-analysis: the last analysis is older than the gathering
        for h in s.scalars(select(Hypothesis).where(Hypothesis.incident_id == incident_id)):
            h.updated_at = before - timedelta(minutes=1)
        incident.gathered_at = regathered = before
        incident.analysed_at = before - timedelta(minutes=1)
        incident.status = "resolved"  # an open one is re-gathered anyway; a resolved one only this way
    start_and_wait(store, settings, lambda: (analysed_at(store, incident_id) or before) > regathered)
    after = analysed_at(store, incident_id)
    assert after is not None and after > regathered
    store.close()


def test_an_analysed_incident_is_left_alone(gathered: tuple[Path, dict], tmp_path: Path) -> None:
    store, settings = restarted(*gathered, tmp_path)
    with store.session() as s:
        incident_id = paged(s).id
    watcher = Watcher(settings, store, Connectors())
    try:
        assert incident_id not in watcher.unanalysed()
        before = analysed_at(store, incident_id)
        assert incident_id not in watcher.complete_analyses()
        assert analysed_at(store, incident_id) == before
    finally:
        watcher.stop()
    store.close()


def test_an_incident_whose_analysis_found_nothing_is_not_analysed_at_every_start(
    gathered: tuple[Path, dict], tmp_path: Path
) -> None:
    """Due-ness was read from the hypotheses: an analysis that finds none left the incident due for
    good, analysed again by every watcher start."""
    store, settings = restarted(*gathered, tmp_path)
    with store.session() as s:
        incident_id = paged(s).id
    watcher = Watcher(settings, store, Connectors())
    try:
        watcher.diagnose(incident_id)
        with store.session() as s:  # what an analysis that finds nothing leaves
            s.execute(delete(Hypothesis).where(Hypothesis.incident_id == incident_id))
        assert incident_id not in watcher.unanalysed()
        assert incident_id not in watcher.complete_analyses()
    finally:
        watcher.stop()
    store.close()
