"""The development-set synthesizer (scenarios/synthesize.py): deterministic, split by index, every kind in
both halves, every case a loadable scenario whose page names symptoms only."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import sys
from datetime import datetime
from pathlib import Path

import pytest

from incident.kinds import KINDS
from incident.scenario import load_scenario
from tests.conftest import SCENARIOS, needs_alertmanager, needs_prometheus

if str(SCENARIOS) not in sys.path:
    sys.path.insert(0, str(SCENARIOS))

from _synth.case import build, plan  # type: ignore[import-not-found]  # noqa: E402
from _synth.render import write  # type: ignore[import-not-found]  # noqa: E402

SEED = 7
FEW = (2, 4, 25, 26)
"""Case indices built in the fast tests: small systems (seconds), both halves, a datastore cause among them."""
KIND_NAMES = set(KINDS) - {"unknown"}
OBJECT_KINDS = {"Pod", "Deployment", "ReplicaSet", "StatefulSet", "Service", "Endpoints", "Node", "ConfigMap"}


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()
    }


def _build(out: Path, index: int, seed: int = SEED) -> Path:
    planned = plan(seed, max(FEW) + 1)[index]
    return write(build(seed, planned), out / planned.split)


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("synth")
    return [_build(out, i) for i in FEW]


def test_same_seed_writes_identical_bytes_and_another_seed_does_not(cases: list[Path], tmp_path: Path) -> None:
    for index, first in list(zip(FEW, cases, strict=True))[:2]:
        again = _build(tmp_path / "again", index)
        assert _digests(again) == _digests(first)
    other = _build(tmp_path / "other", FEW[0], seed=SEED + 1)
    assert _digests(other) != _digests(cases[0])
    with gzip.open(cases[0] / "metrics.om.gz") as fh:
        fh.read(1)
    assert (cases[0] / "metrics.om.gz").read_bytes()[4:8] == b"\0\0\0\0"  # gzip mtime 0


def test_every_kind_is_in_both_halves_of_a_240_case_set() -> None:
    planned = plan(SEED, 240)
    tune = {p.kind for p in planned if p.split == "tune"}
    check = {p.kind for p in planned if p.split == "check"}
    assert tune == check == KIND_NAMES
    assert sum(p.split == "tune" for p in planned) == 120


def test_the_split_is_stable_and_by_index_not_by_kind() -> None:
    planned = plan(SEED, 240)
    assert planned == plan(SEED, 240)
    assert plan(SEED, 40) == planned[:40]  # a smaller set is a prefix: adding cases never moves one
    assert all(p.split == ("tune" if p.index % 2 == 0 else "check") for p in planned)
    assert len({p.name for p in planned}) == 240


def test_each_case_is_a_scenario_the_loader_accepts(cases: list[Path]) -> None:
    for root in cases:
        scenario = load_scenario(root)
        truth = scenario.truth
        assert truth is not None and truth.kind in KIND_NAMES
        assert set(truth.also_accept) <= KIND_NAMES
        catalog = {e["metadata"]["name"]: e for e in scenario.catalog if e["kind"] in ("Component", "Resource")}
        assert truth.component in catalog
        types = {e["spec"]["type"] for e in catalog.values()}
        assert "service" in types and types & {"database", "cache", "queue"}
        assert {o["kind"] for o in scenario.kubernetes} >= OBJECT_KINDS
        assert (root / "kubernetes" / "events.json").is_file()
        revisions = [o for o in scenario.kubernetes if o["kind"] == "ReplicaSet"]
        assert all("deployment.kubernetes.io/revision" in o["metadata"]["annotations"] for o in revisions)
        if scenario.spec.page.source == "pagerduty":
            assert scenario.spec.page.alert in {i["id"] for i in scenario.pagerduty["incidents"]}
        else:
            assert scenario.spec.page.alert in {a["labels"]["alertname"] for a in scenario.alerts}
        assert any((root / "logs").rglob("*.log"))
        assert sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) < 1024 * 1024


def test_metrics_use_the_default_names_and_end_at_the_page(cases: list[Path]) -> None:
    for root in cases:
        scenario = load_scenario(root)
        text = scenario.metrics_text() or ""
        names = set(re.findall(r"^([a-z_]+)\{", text, re.M))
        assert {
            "http_requests_total",
            "http_request_duration_seconds_bucket",
            "container_cpu_usage_seconds_total",
            "container_memory_working_set_bytes",
            "kube_pod_container_status_restarts_total",
        } <= names
        samples = [line for line in text.splitlines() if line and not line.startswith("#")]
        assert all('service="' in line for line in samples)
        stamps = {int(line.rsplit(" ", 1)[1]) for line in samples}
        page = int(scenario.page_at.timestamp())
        assert max(stamps) == page and page - min(stamps) == 90 * 60
        assert text.endswith("# EOF\n")


def test_the_page_names_symptoms_not_the_cause(cases: list[Path]) -> None:
    for root in cases:
        scenario = load_scenario(root)
        truth = scenario.truth
        assert truth is not None
        page = [a for a in scenario.alerts if a["labels"]["alertname"] in ("HighErrorRatio", "HighLatency")]
        pd = json.dumps(scenario.pagerduty or {})
        for text in [json.dumps(a["annotations"]) + json.dumps(a["labels"]) for a in page] + [pd]:
            assert truth.kind not in text and truth.kind.replace("_", " ") not in text
            paged = page[0]["labels"]["service"] if page else None
            if paged is not None and paged != truth.component:
                assert truth.component not in text


def test_nothing_in_logs_is_stamped_after_the_page(cases: list[Path]) -> None:
    stamp = re.compile(r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})")
    for root in cases:
        page = load_scenario(root).page_at.replace(tzinfo=None)
        for log in (root / "logs").rglob("*.log"):
            for line in log.read_text().splitlines():
                if m := stamp.search(line):
                    assert datetime.fromisoformat(m.group(1).replace(" ", "T")) <= page, (log, line)


@needs_prometheus
@needs_alertmanager
def test_a_handful_run_through_incident_eval(cases: list[Path]) -> None:
    from incident.tools.eval import run_case

    for root in cases[:2]:
        result = run_case(root)
        assert result.error is None, (root.name, result.error)
        assert result.ranking


@pytest.mark.devset
@pytest.mark.timeout(3 * 3600)
@needs_prometheus
@needs_alertmanager
def test_the_checking_half_of_240_cases_runs_without_errors(tmp_path: Path) -> None:
    """Slow (``pytest -m devset``): synthesise 240 cases, evaluate the checking half; scores are not asserted."""
    from incident.tools.eval import run_eval

    for planned in plan(SEED, 240):
        write(build(SEED, planned), tmp_path / planned.split)
    report = run_eval(sorted((tmp_path / "check").iterdir()))
    print(json.dumps(report["summary"], indent=1))
    errors = [(c["scenario"], c["error"]) for c in report["cases"] if c["error"]]
    assert report["summary"]["cases"] == 120
    assert not errors
