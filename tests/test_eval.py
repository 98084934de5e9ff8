"""``incident eval`` as SCENARIOS.md specifies it: schema, scoring and failing cases."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from incident.kinds import KINDS
from incident.scenario import load_scenario
from incident.tools.eval import CaseResult, score_ranking, summarize
from tests.conftest import ROOT, SCENARIOS

KINDS_SORTED = sorted(KINDS)


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


def _case(kind: str, ranked: list[tuple[str, str]], truth: str = "x") -> CaseResult:
    ranking = [{"component": c, "kind": k, "confidence": 0.5} for c, k in ranked]
    hit = next((i for i, r in enumerate(ranking, start=1) if r["component"] == truth), None)
    kind_ok = hit is not None and ranking[hit - 1]["kind"] == kind
    return CaseResult("s", {"component": truth, "kind": kind}, ranking=ranking, hit_rank=hit, kind_correct=kind_ok)


def test_per_kind_numbers_and_the_confusion_of_kinds() -> None:
    cases = [
        _case("oom", [("x", "oom")]),
        _case("oom", [("y", "network"), ("x", "resource_saturation")]),
        _case("oom", [("y", "oom")]),  # the truth component is not ranked: missed
        _case("deploy_regression", [("a", "oom"), ("b", "oom"), ("c", "oom"), ("x", "deploy_regression")]),
        CaseResult("broken", {}, error="cannot load"),  # no truth: left out of the kinds
    ]
    s = summarize(cases)
    assert s["per_kind"] == {
        "deploy_regression": {"cases": 1, "ac1": 0.0, "ac3": 0.0, "kind_accuracy": 1.0},
        "oom": {
            "cases": 3,
            "ac1": pytest.approx(1 / 3, abs=1e-4),
            "ac3": pytest.approx(2 / 3, abs=1e-4),
            "kind_accuracy": pytest.approx(1 / 3, abs=1e-4),
        },
    }
    assert s["confusion"] == {
        "deploy_regression": {"deploy_regression": 1},
        "oom": {"oom": 1, "resource_saturation": 1, "missed": 1},
    }
    assert list(s["confusion"]["oom"])[-1] == "missed"
    assert s["cases"] == 5 and s["errors"] == 1  # the headline numbers still count every case


def test_the_confusion_matrix_prints_within_80_columns() -> None:
    from rich.console import Console

    from incident.tools.eval_render import kinds_view

    cases = [_case(k, [("x", k)]) for k in KINDS] + [_case("oom", [("x", "storage")]), _case("oom", [])]
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(kinds_view(summarize(cases)))
    text = console.export_text()
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 80
    split = [line.split() for line in text.splitlines()]
    rows = {parts[1]: parts[2:] for parts in split if len(parts) > 2 and parts[0].isdigit()}
    assert set(rows) == set(KINDS)
    oom = KINDS_SORTED.index("oom")
    storage = KINDS_SORTED.index("storage")
    assert rows["oom"][oom] == "1" and rows["oom"][storage] == "1" and rows["oom"][-1] == "1"
    assert rows["network"][KINDS_SORTED.index("network")] == "1" and rows["network"][-1] == "."
    assert "m = missed" in text and "Per truth kind" in text


def test_per_directory_numbers(tmp_path: Path) -> None:
    from incident.tools.eval import per_directory

    dirs = [tmp_path / "tune", tmp_path / "check"]
    paths = []
    for d, name in [(dirs[0], "a"), (dirs[0], "b"), (dirs[1], "c")]:
        (d / name).mkdir(parents=True)
        (d / name / "scenario.yaml").write_text("name: x\n")
        paths.append(d / name)
    cases = [_case("oom", [("x", "oom")]), _case("oom", [("y", "oom")]), _case("oom", [("x", "oom")])]
    out = per_directory(dirs, paths, cases)
    assert out[str(dirs[0])]["cases"] == 2 and out[str(dirs[0])]["ac1"] == 0.5
    assert out[str(dirs[1])]["cases"] == 1 and out[str(dirs[1])]["ac1"] == 1.0


def test_eval_cli_writes_the_schema_and_counts_a_broken_case_as_a_miss(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    other = tmp_path / "other"
    other.mkdir()
    shutil.copytree(SCENARIOS / "search-image-pull", other / "search-image-pull")
    shutil.copytree(SCENARIOS / "cart-oom", cases / "cart-oom")
    broken = cases / "zz-broken"
    broken.mkdir()
    (broken / "scenario.yaml").write_text(
        "name: zz-broken\npage: {at: 2026-01-01T00:00:00Z, alert: X}\ntruth: {component: a, kind: oom}\n"
    )
    (broken / "alertmanager.json").write_text("{oops")
    out = tmp_path / "eval.json"
    run = subprocess.run(
        [sys.executable, "-m", "incident", "eval", str(cases), str(other), "--json", str(out)],
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
    # the broken case's truth cannot be read: it is in the headline numbers, not in the kinds
    assert summary["per_kind"]["oom"] == {"cases": 1, "ac1": 1.0, "ac3": 1.0, "kind_accuracy": 1.0}
    assert summary["confusion"] == {"image_pull": {"image_pull": 1}, "oom": {"oom": 1}}
    assert summary["per_dir"][str(other)]["ac1"] == 1.0 and summary["per_dir"][str(cases)]["cases"] == 2
    assert "Per truth kind" in run.stdout and f"{other}: cases 1" in run.stdout
