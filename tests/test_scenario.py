from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from incident.errors import ScenarioError
from incident.scenario import find_scenarios, load_scenario
from tests.conftest import CALIBRATION


def make(tmp_path: Path, spec: str, **files: str) -> Path:
    root = tmp_path / "sc"
    root.mkdir()
    (root / "scenario.yaml").write_text(spec)
    for name, text in files.items():
        path = root / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


SPEC = """name: demo-one
page: {source: alertmanager, at: 2026-01-10T14:05:00Z, alert: HighErrorRatio}
truth: {component: checkout, kind: oom}
"""


def test_unknown_keys_warn_and_load(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = make(tmp_path, SPEC + "future_key: 1\n", **{"config.toml": '[metrics]\nstep="30s"\nshiny=1\n[ui]\nx=1\n'})
    with caplog.at_level(logging.WARNING):
        sc = load_scenario(root)
    assert sc.config == {"metrics": {"step": "30s"}}
    assert "future_key" in caplog.text and "metrics.shiny" in caplog.text and "'ui'" in caplog.text


def test_kubernetes_lists_are_flattened_and_logs_indexed(tmp_path: Path) -> None:
    pod_list = {
        "apiVersion": "v1",
        "kind": "PodList",
        "items": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}],
    }
    root = make(
        tmp_path,
        SPEC,
        **{
            "kubernetes__pods.json": json.dumps(pod_list),
            "kubernetes__dep.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n",
            "logs__shop__a__app.log": "hello\n",
            "logs__shop__a__app.previous.log": "boom\n",
        },
    )
    sc = load_scenario(root)
    assert sorted(o["kind"] for o in sc.kubernetes) == ["Deployment", "Pod", "Pod"]
    assert sc.read_log("shop", "a", "app", True) == "boom\n"
    assert sc.read_log("shop", "a", "app", False) == "hello\n"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("name: Bad Name\npage: {at: 2026-01-10T14:05:00Z}\n", "name"),
        ("name: ok\npage: {at: 2026-01-10T14:05:00}\n", "time zone"),
        ("name: ok\npage: {source: email, at: 2026-01-10T14:05:00Z}\n", "page.source"),
        ("name: ok\n", "page"),
        ("name: [unclosed\n", "scenario.yaml"),
    ],
)
def test_bad_scenarios_name_the_problem(tmp_path: Path, spec: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        load_scenario(make(tmp_path, spec))


def test_bad_json_names_the_file(tmp_path: Path) -> None:
    root = make(tmp_path, SPEC, **{"alertmanager.json": "{not json"})
    with pytest.raises(ScenarioError, match="alertmanager.json"):
        load_scenario(root)


@pytest.mark.skipif(not CALIBRATION.is_dir(), reason="../shared/calibration not present")
def test_every_calibration_scenario_loads_unchanged() -> None:
    days = [d for d in CALIBRATION.iterdir() if d.is_dir()]
    paths = find_scenarios(days)
    assert len(paths) >= 24
    for path in paths:
        sc = load_scenario(path)
        assert sc.truth is not None and sc.metrics_path is not None and sc.catalog
        assert sc.config_overlay()["metrics"]["signals"]


def test_find_scenarios_descends_into_a_directory_of_days_and_refuses_empty(tmp_path: Path) -> None:
    day = tmp_path / "data" / "day-1"
    for name in ("b-case", "a-case"):
        (day / name).mkdir(parents=True)
        (day / name / "scenario.yaml").write_text(SPEC.replace("demo-one", name))
    assert [p.name for p in find_scenarios([tmp_path / "data"])] == ["a-case", "b-case"]
    assert [p.name for p in find_scenarios([day])] == ["a-case", "b-case"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(ScenarioError, match="no scenarios"):
        find_scenarios([tmp_path / "empty"])
