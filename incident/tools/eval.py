"""``incident eval``: score scenarios through the sandbox and the watcher's own pipeline.

Each case: start the scenario's sandbox, run one watcher cycle (poll, gather, analyse) as of the
page time, and read the ranking back from the store. Truth is read here only, after the
pipeline has finished; the pipeline never sees it. Output schema: docs/SCENARIOS.md.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from incident import service
from incident.config import AgentConfig, load_settings
from incident.errors import CopilotError
from incident.hypotheses import ranked
from incident.registry import build_connectors
from incident.sandbox.runner import Sandbox
from incident.scenario import Scenario, find_scenarios, load_scenario
from incident.store import Store
from incident.watcher import Watcher


@dataclass
class CaseResult:
    scenario: str
    truth: dict[str, Any]
    ranking: list[dict[str, Any]] = field(default_factory=list)
    hit_rank: int | None = None
    kind_correct: bool = False
    seconds: float | None = None
    error: str | None = None


def score_ranking(
    scenario: Scenario, hypotheses: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], int | None, bool]:
    """Distinct components in hypothesis order; the truth's rank; whether its kind is right."""
    truth = scenario.truth
    assert truth is not None
    ranking: list[dict[str, Any]] = []
    for h in hypotheses:
        if all(r["component"] != h["component"] for r in ranking):
            ranking.append({"component": h["component"], "kind": h["kind"], "confidence": h["confidence"]})
    hit = next((i for i, r in enumerate(ranking, start=1) if r["component"] == truth.component), None)
    accepted = {truth.kind, *truth.also_accept}
    kind_ok = hit is not None and ranking[hit - 1]["kind"] in accepted
    return ranking, hit, kind_ok


def run_case(path: Path, *, agent: AgentConfig | None = None, workdir: Path | None = None) -> CaseResult:
    """One scenario through sandbox + watcher; ``agent`` (a configured ``[agent]``) adds Claude."""
    try:
        scenario = load_scenario(path)
    except CopilotError as exc:
        return CaseResult(scenario=path.name, truth={}, error=exc.message)
    truth = scenario.truth
    result = CaseResult(
        scenario=scenario.name, truth={"component": truth.component, "kind": truth.kind} if truth else {}
    )
    if truth is None:
        result.error = "scenario has no truth block"
        return result
    with tempfile.TemporaryDirectory(prefix="incident-eval-", dir=workdir) as tmp:
        try:
            with Sandbox(scenario, Path(tmp) / "sandbox") as box:
                overlay = box.config(store_url=f"sqlite:///{Path(tmp) / 'eval.db'}")
                overlay["agent"] = {"enabled": False}
                settings = load_settings(overlays=[overlay], user_file=False)
                if agent is not None:
                    settings = settings.model_copy(update={"agent": agent})
                store = Store(settings.store.url)
                watcher = Watcher(settings, store, build_connectors(settings))
                started = time.perf_counter()
                try:
                    watcher.run_once()
                finally:
                    watcher.stop()
                result.seconds = round(time.perf_counter() - started, 3)
                page = scenario.spec.page
                with store.session() as session:
                    incident = service.find_by_page(session, source=page.source, alert=page.alert)
                    if incident is None:
                        result.error = f"the page ({page.alert}) opened no incident"
                        return result
                    hyps = [
                        {"component": h.component, "kind": h.kind, "confidence": h.confidence}
                        for h in ranked(session, incident.id)
                    ]
                store.close()
        except CopilotError as exc:
            result.error = exc.message
            return result
        except Exception as exc:  # a broken case is a miss with its error, never the end of the run
            result.error = f"{type(exc).__name__}: {exc}"
            return result
    result.ranking, result.hit_rank, result.kind_correct = score_ranking(scenario, hyps)
    return result


def calibration(cases: list[CaseResult]) -> dict[str, Any]:
    """Brier score and reliability buckets of the top hypothesis' confidence against being right."""
    pairs = [(c.ranking[0]["confidence"], 1.0 if c.hit_rank == 1 else 0.0) for c in cases if c.ranking]
    if not pairs:
        return {"brier": None, "buckets": []}
    buckets = []
    for lo in (0.0, 0.2, 0.4, 0.6, 0.8):
        inside = [(p, y) for p, y in pairs if lo <= p < lo + 0.2 or (lo == 0.8 and p == 1.0)]
        if inside:
            buckets.append(
                {
                    "range": f"{lo:.1f}-{lo + 0.2:.1f}",
                    "cases": len(inside),
                    "mean_confidence": round(statistics.fmean(p for p, _ in inside), 3),
                    "accuracy": round(statistics.fmean(y for _, y in inside), 3),
                }
            )
    return {"brier": round(statistics.fmean((p - y) ** 2 for p, y in pairs), 4), "buckets": buckets}


MISSED = "missed"
"""The confusion matrix' column for a case whose truth component is not in the ranking."""


def _ac(cases: list[CaseResult], k: int) -> float:
    n = len(cases)
    return sum(1 for c in cases if c.hit_rank is not None and c.hit_rank <= k) / n if n else 0.0


def _kind_accuracy(cases: list[CaseResult]) -> float:
    return round(sum(1 for c in cases if c.kind_correct) / len(cases), 4) if cases else 0.0


def predicted_kind(case: CaseResult) -> str:
    """The kind the ranking gave the truth component, or :data:`MISSED`."""
    truth = case.truth.get("component")
    return next((str(r["kind"]) for r in case.ranking if r["component"] == truth), MISSED)


def by_kind(cases: list[CaseResult]) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, int]]]:
    """Per truth kind: cases, AC@1, AC@3, kind accuracy; and truth kind -> predicted kind -> count.

    Cases whose truth could not be read (a scenario that failed to load) are left out of both;
    they are counted in ``errors``."""
    groups: dict[str, list[CaseResult]] = {}
    for c in cases:
        if c.truth.get("kind"):
            groups.setdefault(str(c.truth["kind"]), []).append(c)
    per_kind: dict[str, dict[str, Any]] = {}
    confusion: dict[str, dict[str, int]] = {}
    for kind in sorted(groups):
        group = groups[kind]
        per_kind[kind] = {
            "cases": len(group),
            "ac1": round(_ac(group, 1), 4),
            "ac3": round(_ac(group, 3), 4),
            "kind_accuracy": _kind_accuracy(group),
        }
        counts = Counter(predicted_kind(c) for c in group)
        confusion[kind] = {k: counts[k] for k in sorted(counts, key=lambda k: (k == MISSED, k))}
    return per_kind, confusion


def summarize(cases: list[CaseResult]) -> dict[str, Any]:
    seconds = [c.seconds for c in cases if c.seconds is not None]
    per_kind, confusion = by_kind(cases)
    return {
        "cases": len(cases),
        "errors": sum(1 for c in cases if c.error),
        "ac1": round(_ac(cases, 1), 4),
        "ac3": round(_ac(cases, 3), 4),
        "avg5": round(sum(_ac(cases, k) for k in range(1, 6)) / 5, 4),
        "kind_accuracy": _kind_accuracy(cases),
        "median_seconds": round(statistics.median(seconds), 3) if seconds else None,
        "calibration": calibration(cases),
        "per_kind": per_kind,
        "confusion": confusion,
    }


def per_directory(dirs: list[Path], paths: list[Path], cases: list[CaseResult]) -> dict[str, dict[str, Any]]:
    """The headline numbers of each DIR's cases (``paths[i]`` gave ``cases[i]``), e.g. for the
    tune and check halves of a set."""
    out: dict[str, dict[str, Any]] = {}
    for d in dirs:
        try:
            mine = set(find_scenarios([d]))
        except CopilotError:
            continue
        numbers = summarize([c for p, c in zip(paths, cases, strict=True) if p in mine])
        keep = ("cases", "errors", "ac1", "ac3", "avg5", "kind_accuracy")
        out[str(d)] = {k: numbers[k] for k in keep}
    return out


def run_eval(
    paths: list[Path], *, agent: AgentConfig | None = None, on_case: Callable[[CaseResult], None] | None = None
) -> dict[str, Any]:
    cases = []
    for path in paths:
        case = run_case(path, agent=agent)
        cases.append(case)
        if on_case:
            on_case(case)
    return {"cases": [asdict(c) for c in cases], "summary": summarize(cases)}


def write_json(report: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(report, indent=2) + "\n")
