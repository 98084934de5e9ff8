"""Team memory at scale: how long finding similar past incidents takes as the store grows.

    python benchmarks/memory_search.py [--sizes 1000 5000 20000] [--reps 5]

Each size is a fresh SQLite store holding one old incident with a confirmed cause (the needle),
``size`` recent look-alikes on the same component (noise that shares component and alert) and
one new incident; it times ``find_similar`` and ``apply_feedback`` for the new one (median and
max of ``--reps`` runs) and counts the SQL statements.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event  # noqa: E402

from benchmarks.memory_world import LOG, NOW, add_world, drafts, incident_rows, now_incident  # noqa: E402
from incident.memory import apply_feedback, find_similar  # noqa: E402
from incident.models import Component  # noqa: E402
from incident.store import Store  # noqa: E402


def build(store: Store, size: int) -> int:
    with store.session() as s:
        s.add(Component(name="checkout", system="shop", depends_on=[]))
        needle = incident_rows(1, start=1, at=NOW - timedelta(days=400))
        add_world(
            s, needle, kinds=[("deploy_regression", "checkout")], log=LOG, verdicts={"deploy_regression": "confirmed"}
        )
        noise = incident_rows(size, start=10, at=NOW - timedelta(days=1))
        add_world(s, noise, kinds=[("oom", "checkout"), ("unknown", "cart")], log="ERROR OOMKilled cart session cache")
        return now_incident(s, id_=size + 1000)


def measure(size: int, reps: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'memory.db'}")
        current = build(store, size)
        statements: list[str] = []
        event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        find, feed = [], []
        for _ in range(reps):
            statements.clear()
            with store.session() as s:
                started = time.perf_counter()
                matches = find_similar(s, current)
                find.append(time.perf_counter() - started)
                queries = len(statements)
                started = time.perf_counter()
                apply_feedback(s, current, drafts())
                feed.append(time.perf_counter() - started)
        assert matches and matches[0].past_incident_id == 1, "the confirmed needle must be found"
        store.close()
    return {
        "size": size,
        "find_median_s": statistics.median(find),
        "find_max_s": max(find),
        "feedback_median_s": statistics.median(feed),
        "queries": queries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    print(f"{'past incidents':>15} {'find median':>12} {'find max':>9} {'feedback median':>16} {'queries':>8}")
    for size in args.sizes:
        r = measure(size, args.reps)
        print(
            f"{r['size']:>15} {r['find_median_s']:>11.3f}s {r['find_max_s']:>8.3f}s"
            f" {r['feedback_median_s']:>15.3f}s {r['queries']:>8}"
        )


if __name__ == "__main__":
    main()
