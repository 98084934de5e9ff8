"""``incident eval`` as SCENARIOS.md specifies it: schema, scoring and failing cases."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from incident.eval import CaseResult, score_ranking, summarize
from incident.scenario import load_scenario
from tests.conftest import ROOT, SCENARIOS


def test_ranking_is_distinct_components_in_hypothesis_order() -> None:
    sc = load_scenario(SCENARIOS / "cart-oom")
    hyps = [
        {"component": "checkout", "kind": "code_error", "confidence": 0.6},
        {"component": "checkout", "kind": "network", "confidence": 0.5},
        {"component": "cart", "kind": "oom", "confidence": 0.4},
    ]
    ranking, hit, kind_ok = score_ranking(sc, hyps)
    assert [r["component"] for r in ranking] == ["checkout", "cart"]
    assert hit == 2 and kind_ok


def test_summary_metrics_follow_the_rcaeval_definitions() -> None:
    def case(hit: int | None, conf: float = 0.5) -> CaseResult:
        ranking = [{"component": "x", "kind": "oom", "confidence": conf}] if hit else []
        return CaseResult(
            "s", {"component": "x", "kind": "oom"}, ranking=ranking, hit_rank=hit, kind_correct=hit == 1, seconds=1.0
        )

    s = summarize([case(1, 0.9), case(2), case(4), case(None)])
    assert (s["ac1"], s["ac3"]) == (0.25, 0.5)
    assert s["avg5"] == pytest.approx((0.25 + 0.5 + 0.5 + 0.75 + 0.75) / 5)
    assert s["kind_accuracy"] == 0.25 and s["median_seconds"] == 1.0
    assert s["calibration"]["brier"] == pytest.approx(((0.9 - 1) ** 2 + 0.25 + 0.25) / 3, abs=1e-4)


def test_eval_cli_writes_the_schema_and_counts_a_broken_case_as_a_miss(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    shutil.copytree(SCENARIOS / "search-image-pull", cases / "search-image-pull")
    shutil.copytree(SCENARIOS / "cart-oom", cases / "cart-oom")
    broken = cases / "zz-broken"
    broken.mkdir()
    (broken / "scenario.yaml").write_text(
        "name: zz-broken\npage: {at: 2026-01-01T00:00:00Z, alert: X}\ntruth: {component: a, kind: oom}\n"
    )
    (broken / "alertmanager.json").write_text("{oops")
    out = tmp_path / "eval.json"
    run = subprocess.run(
        [sys.executable, "-m", "incident", "eval", str(cases), "--json", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(out.read_text())
    assert set(report) == {"cases", "summary"}
    by_name = {c["scenario"]: c for c in report["cases"]}
    assert set(by_name) == {"search-image-pull", "cart-oom", "zz-broken"}
    for name in ("search-image-pull", "cart-oom"):
        c = by_name[name]
        assert set(c) >= {"scenario", "truth", "ranking", "hit_rank", "kind_correct", "seconds", "error"}
        assert c["error"] is None and c["hit_rank"] == 1 and c["kind_correct"] is True
        assert set(c["ranking"][0]) == {"component", "kind", "confidence"}
    assert by_name["zz-broken"]["error"] and by_name["zz-broken"]["hit_rank"] is None
    summary = report["summary"]
    assert summary["cases"] == 3 and summary["errors"] == 1
    assert summary["ac1"] == pytest.approx(2 / 3, abs=1e-3)
    assert "AC@1" in run.stdout
