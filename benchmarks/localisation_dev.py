#!/usr/bin/env python3
"""Fast iteration on metric localisation: ``python benchmarks/localisation_dev.py DIR [DIR ...]``.

Each DIR is a scenario set (a directory of scenario directories) or one scenario. The first run
puts every case through the sandbox and the watcher once (as ``incident eval`` does) and keeps
its SQLite store under ``benchmarks/out/localisation/``; later runs only re-run the analysis on
the cached stores, so a change to ``incident/analysis`` is measured over all cases in seconds.

By default the ranking is the analyzer's (``incident.analysis.analyze``: cluster findings and
departures combined); ``--departures`` ranks by ``localisation.departures`` strength alone.
``--refresh`` re-gathers the cases; ``-v`` prints every case with its top three.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from incident import service  # noqa: E402
from incident.analysis import analyze  # noqa: E402
from incident.analysis.context import load_input  # noqa: E402
from incident.analysis.localisation import departures  # noqa: E402
from incident.config import load_settings  # noqa: E402
from incident.registry import build_connectors  # noqa: E402
from incident.sandbox.runner import Sandbox  # noqa: E402
from incident.scenario import Scenario, load_scenario  # noqa: E402
from incident.store import Store  # noqa: E402
from incident.tools.eval import score_ranking  # noqa: E402
from incident.watcher import Watcher  # noqa: E402

CACHE = ROOT / "benchmarks" / "out" / "localisation"


def case_dirs(path: Path) -> list[Path]:
    if (path / "scenario.yaml").exists():
        return [path]
    return sorted(p for p in path.iterdir() if (p / "scenario.yaml").exists())


def gather(scenario: Scenario, db: Path) -> None:
    """The watcher's poll-gather-analyse cycle as of the page, keeping its store at ``db``."""
    db.unlink(missing_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="localisation-dev-") as tmp,
        Sandbox(scenario, Path(tmp) / "sandbox") as box,
    ):
        overlay = box.config(store_url=f"sqlite:///{db}")
        overlay["agent"] = {"enabled": False}
        settings = load_settings(overlays=[overlay], user_file=False)
        store = Store(settings.store.url)
        watcher = Watcher(settings, store, build_connectors(settings))
        try:
            watcher.run_once()
        finally:
            watcher.stop()
            store.close()


def rank_case(scenario: Scenario, db: Path, *, only_departures: bool) -> tuple[list[dict[str, Any]], float]:
    store = Store(f"sqlite:///{db}")
    try:
        with store.session() as session:
            page = scenario.spec.page
            incident = service.find_by_page(session, source=page.source, alert=page.alert)
            if incident is None:
                return [], 0.0
            started = time.perf_counter()
            if only_departures:
                deps = departures(load_input(session, incident.id))
                hyps = [
                    {"component": d.component, "kind": d.kind, "confidence": round(0.7 * d.strength, 3)}
                    for d in sorted(deps.values(), key=lambda d: d.strength, reverse=True)
                ]
            else:
                hyps = [
                    {"component": h.component, "kind": h.kind, "confidence": h.confidence}
                    for h in analyze(session, incident.id)
                ]
            return hyps, time.perf_counter() - started
    finally:
        store.close()


def summary(hits: list[int | None], kinds: list[bool]) -> dict[str, float]:
    n = len(hits) or 1

    def ac(k: int) -> float:
        return sum(1 for h in hits if h is not None and h <= k) / n

    return {
        "ac1": round(ac(1), 3),
        "ac3": round(ac(3), 3),
        "avg5": round(sum(ac(k) for k in range(1, 6)) / 5, 3),
        "kind": round(sum(kinds) / n, 3),
    }


def run_set(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    hits: list[int | None] = []
    kinds: list[bool] = []
    seconds: list[float] = []
    for case in case_dirs(path):
        scenario = load_scenario(case)
        db = CACHE / path.name / f"{scenario.name}.db"
        db.parent.mkdir(parents=True, exist_ok=True)
        if args.refresh or not db.exists():
            gather(scenario, db)
        hyps, took = rank_case(scenario, db, only_departures=args.departures)
        ranking, hit, kind_ok = score_ranking(scenario, hyps)
        hits.append(hit)
        kinds.append(kind_ok)
        seconds.append(took)
        if args.verbose:
            truth = scenario.truth
            assert truth is not None
            top = ", ".join(f"{r['component']}:{r['kind']}:{r['confidence']:.2f}" for r in ranking[:3])
            mark = "ok " if hit == 1 else ("~  " if hit is not None and hit <= 3 else "X  ")
            print(f"  {mark}{scenario.name[-48:]:48} hit={hit} kind={'y' if kind_ok else 'n'} | {top}")
    out: dict[str, Any] = {"set": path.name, "cases": len(hits), **summary(hits, kinds)}
    out["max_ms"] = round(1000 * max(seconds, default=0.0), 1)
    out["median_ms"] = round(1000 * statistics.median(seconds), 1) if seconds else 0.0
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--refresh", action="store_true", help="re-run the sandbox for every case")
    parser.add_argument("--departures", action="store_true", help="rank by departures alone")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--json", type=Path, help="write the per-set numbers here")
    args = parser.parse_args()
    rows = []
    for path in args.dirs:
        if args.verbose:
            print(path.name)
        rows.append(run_set(path, args))
    for r in rows:
        print(
            f"{r['set']:28} n={r['cases']:3} AC@1 {r['ac1']:.2f}  AC@3 {r['ac3']:.2f}  Avg@5 {r['avg5']:.2f}"
            f"  kind {r['kind']:.2f}  (analysis median {r['median_ms']} ms, max {r['max_ms']} ms)"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
