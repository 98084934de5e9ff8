"""The bundled scenarios (scenarios/) and the shared calibration set load and are well-formed."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from incident.kinds import KINDS as ALL_KINDS
from incident.scenario import Scenario, find_scenarios, load_scenario

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "scenarios"
CALIBRATION = REPO.parent / "shared" / "calibration"
KINDS = set(ALL_KINDS)
SERVICE_LABEL = re.compile(r'service="([^"]+)"')


def _bundled() -> list[Scenario]:
    return [load_scenario(p) for p in find_scenarios([BUNDLED])]


SCENARIOS = _bundled()
IDS = [s.name for s in SCENARIOS]


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_every_kind_is_covered_with_unique_names() -> None:
    assert len(SCENARIOS) >= 8
    assert len(set(IDS)) == len(IDS)
    assert all(s.path.name == s.name for s in SCENARIOS)
    kinds = [s.truth.kind for s in SCENARIOS if s.truth]
    assert len(kinds) == len(SCENARIOS)
    assert KINDS - {"unknown"} <= set(kinds)
    assert "checkout-bad-deploy" in IDS


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_truth_and_page(scenario: Scenario) -> None:
    truth = scenario.truth
    assert truth is not None
    assert truth.kind in KINDS
    assert set(truth.also_accept) <= KINDS
    names = {e["metadata"]["name"] for e in scenario.catalog if e.get("kind") in ("Component", "Resource")}
    assert truth.component in names
    if scenario.spec.page.source == "pagerduty":
        ids = {i["id"] for i in scenario.pagerduty["incidents"]}
        assert scenario.spec.page.alert in ids
    else:
        assert scenario.spec.page.alert in {a["labels"]["alertname"] for a in scenario.alerts}
    for alert in scenario.alerts:
        assert _time(alert["startsAt"]) <= scenario.page_at
        assert {"alertname", "service", "severity", "namespace"} <= set(alert["labels"])


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_kubernetes_objects_are_complete(scenario: Scenario) -> None:
    kinds = {o["kind"] for o in scenario.kubernetes}
    assert {"Pod", "Deployment", "ReplicaSet", "Event", "Node", "ConfigMap"} <= kinds
    for obj in scenario.kubernetes:
        assert obj.get("apiVersion") and obj.get("kind") and obj["metadata"].get("name"), obj
    deployments = {o["metadata"]["name"] for o in scenario.kubernetes if o["kind"] == "Deployment"}
    components = {e["metadata"]["name"] for e in scenario.catalog if e.get("kind") == "Component"}
    assert components <= deployments
    rs_uids = {o["metadata"]["uid"] for o in scenario.kubernetes if o["kind"] == "ReplicaSet"}
    for pod in (o for o in scenario.kubernetes if o["kind"] == "Pod"):
        owner = pod["metadata"]["ownerReferences"][0]
        assert owner["kind"] == "StatefulSet" or owner["uid"] in rs_uids


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_metrics_cover_every_component(scenario: Scenario) -> None:
    text = scenario.metrics_text()
    assert text is not None and text.endswith("# EOF\n")
    services = set(SERVICE_LABEL.findall(text))
    components = {e["metadata"]["name"] for e in scenario.catalog if e.get("kind") == "Component"}
    assert components <= services
    stamps = [int(line.rsplit(" ", 1)[1]) for line in text.splitlines() if not line.startswith("#")]
    assert max(stamps) == scenario.page_at.timestamp()
    assert max(stamps) - min(stamps) >= 85 * 60


def test_some_scenarios_hold_objects_from_after_the_page() -> None:
    future = [
        s.name for s in SCENARIOS if any(_time(o["metadata"]["creationTimestamp"]) > s.page_at for o in s.kubernetes)
    ]
    assert len(future) >= 2
    assert sum(1 for s in SCENARIOS if s.spec.page.source == "pagerduty") >= 2


def test_a_log_carries_a_prompt_injection_as_data() -> None:
    texts = [p.read_text() for s in SCENARIOS for p in s.logs.values()]
    assert any("IGNORE PREVIOUS INSTRUCTIONS" in t for t in texts)


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
def test_promtool_backfills_every_scenario(tmp_path: Path) -> None:
    for scenario in SCENARIOS:
        source = tmp_path / f"{scenario.name}.om"
        source.write_text(scenario.metrics_text() or "")
        result = subprocess.run(
            ["promtool", "tsdb", "create-blocks-from", "openmetrics", str(source), str(tmp_path / scenario.name)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, f"{scenario.name}: {result.stderr[-2000:]}"


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


DETERMINISM = ("checkout-bad-deploy", "search-node-failure", "shop-db-disk-full")
"""The demo scenario, and the two that use object patches and volume metrics."""


def test_generator_is_deterministic(tmp_path: Path) -> None:
    only = [arg for name in DETERMINISM for arg in ("--only", name)]
    subprocess.run(
        [sys.executable, str(BUNDLED / "generate.py"), "--out", str(tmp_path), *only],
        check=True,
        capture_output=True,
        timeout=60,
    )
    for name in DETERMINISM:
        assert _digest(tmp_path / name) == _digest(BUNDLED / name), name


def _calibration() -> list[Path]:
    if not CALIBRATION.is_dir():
        return []
    return [case for day in sorted(CALIBRATION.iterdir()) if day.is_dir() for case in find_scenarios([day])]


@pytest.mark.skipif(not _calibration(), reason="no calibration set next to the repo")
def test_calibration_scenarios_load_with_truth() -> None:
    cases = _calibration()
    assert len(cases) >= 20
    for path in cases:
        scenario = load_scenario(path)
        assert scenario.truth is not None and scenario.truth.kind in KINDS, path
        assert scenario.metrics_path is not None
