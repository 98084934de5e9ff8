"""The postmortem of a replayed OOM incident: the OOMKilled pods that started it are in its timeline and
impact, and the peak error ratio it reports is never below the threshold the paging alert fired on."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from incident import service
from incident.config import Settings, load_settings
from incident.models import Alert
from incident.postmortem import build_record, write_postmortem
from incident.postmortem.alert_peak import alert_ratio
from incident.postmortem.model import PostmortemRecord
from incident.registry import build_connectors
from incident.sandbox.runner import Sandbox
from incident.scenario import load_scenario
from incident.store import Store
from incident.watcher import Watcher
from tests.conftest import SCENARIOS, needs_alertmanager
from tests.postmortem.conftest import section

pytestmark = needs_alertmanager


@dataclass
class Drafted:
    record: PostmortemRecord
    markdown: str
    paging: list[Alert]


def _oom_scenario() -> Path:
    """The bundled scenario whose ground truth is an OOM kill (found by its truth, not its name)."""
    for path in sorted(SCENARIOS.iterdir()):
        if (path / "scenario.yaml").is_file() and load_scenario(path).spec.truth.kind == "oom":
            return path
    raise AssertionError("no bundled OOM scenario")


@pytest.fixture(scope="module")
def drafted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Drafted]:
    tmp = tmp_path_factory.mktemp("oom")
    scenario = load_scenario(_oom_scenario())
    page = scenario.spec.page
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("ANTHROPIC_API_KEY", raising=False)
        with Sandbox(scenario, tmp / "sb") as box:
            settings: Settings = load_settings(
                overlays=[box.config(store_url=f"sqlite:///{tmp / 's.db'}")], user_file=False
            )
            store = Store(settings.store.url)
            watcher = Watcher(settings, store, build_connectors(settings))
            try:
                watcher.run_once()
            finally:
                watcher.stop()
        with store.session() as s:
            incident = service.find_by_page(s, source=page.source, alert=page.alert)
            assert incident is not None
            iid = incident.id
            paging = [a for a in incident.alerts if a.name == page.alert]
            s.expunge_all()
        with store.session() as s:
            record = build_record(s, iid, settings)
        markdown = write_postmortem(store, iid, settings, who="alice").markdown
    yield Drafted(record, markdown, paging)
    store.close()


def test_the_oom_kills_are_in_the_timeline_and_the_impact(drafted: Drafted) -> None:
    kills = [t for t in drafted.record.timeline if t.kind == "pod_state" and "OOMKilled" in t.summary]
    assert len(kills) >= 2, [t.summary for t in drafted.record.timeline]
    assert all(t.at < drafted.record.page_at for t in kills)  # they started the incident
    assert [t.event_id for t in drafted.record.terminations] == [t.event_id for t in kills]
    timeline = section(drafted.markdown, "## Timeline")
    impact = section(drafted.markdown, "## Impact")
    for kill in kills:
        pod = re.search(r"pod (\S+):", kill.summary)
        assert pod is not None
        assert pod.group(1) in timeline
        assert pod.group(1) in impact
    assert "killed at their memory limit" in impact


def test_the_peak_error_ratio_is_at_least_what_the_alert_fired_on(drafted: Drafted) -> None:
    said = [r for a in drafted.paging if (r := alert_ratio(a)) is not None]
    assert said, "the paging alert carries its value and threshold"
    threshold = max(r.threshold or 0.0 for r in said)
    assert threshold > 0
    peak = drafted.record.peak_error
    assert peak is not None
    assert peak.value >= threshold
    assert peak.value >= max(r.value or 0.0 for r in said)
    impact = section(drafted.markdown, "## Impact")
    line = next(line for line in impact.splitlines() if line.startswith("- **Peak error ratio:**"))
    shown = float(re.search(r"(\d+(?:\.\d+)?)%", line).group(1)) / 100  # type: ignore[union-attr]
    assert shown >= threshold, line
