"""The reliability table (issue 10, point 11): one row per property, each measured in a process of
its own (its peak RSS is that process's). ``lost`` and ``duplicated`` must be 0.

    python benchmarks/reliability/run.py [--examples 600] [--rows fuzz-alertmanager,burst,...]
        [--postgres postgresql+psycopg2://user@host/db]   # adds both fuzz rows and three-watchers there
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ROWS = [
    "fuzz-alertmanager",
    "fuzz-pagerduty",
    "burst",
    "kill-9",
    "drip",
    "flood",
    "kill-9-actions",
    "kill-9-gathering",
    "full-disk",
    "silence-cycles",
]
NOT_MEASURED = {
    "three watchers, leader kill -9": "not measured: needs --postgres",
    "fuzzing against PostgreSQL (NUL bytes)": "not measured: no PostgreSQL server here",
}


def measure(row: str, examples: int, postgres: str | None) -> dict[str, Any]:
    from benchmarks.reliability import rows

    if row == "three-watchers":
        from benchmarks.reliability.watchers import watchers_row

        if not postgres:
            raise SystemExit("the three-watchers row needs --postgres")
        result = watchers_row(postgres)
    elif row.startswith("fuzz-") and row.endswith("-pg"):
        result = rows.fuzz_row(row.removeprefix("fuzz-").removesuffix("-pg"), examples, postgres)
    elif row.startswith("fuzz-"):
        result = rows.fuzz_row(row.removeprefix("fuzz-"), examples)
    elif row == "burst":
        result = rows.burst_row()
    elif row == "kill-9":
        result = rows.kill_row()
    elif row in ("drip", "flood"):
        result = rows.upstream_row(row)
    elif row == "kill-9-actions":
        from benchmarks.reliability.row_actions import actions_row

        result = actions_row()
    elif row == "kill-9-gathering":
        from benchmarks.reliability.row_gathering import gathering_row

        result = gathering_row()
    elif row == "full-disk":
        from benchmarks.reliability.row_disk import full_disk_row

        result = full_disk_row()
    elif row == "silence-cycles":
        from benchmarks.reliability.row_silence import silence_row

        result = silence_row()
    else:
        raise SystemExit(f"unknown row {row!r}; known: {', '.join(ROWS)}")
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def child(row: str, examples: int, postgres: str | None) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", row, "--examples", str(examples)]
    if postgres:
        cmd += ["--postgres", postgres]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {done.returncode}: {tail}"}
    return dict(json.loads(lines[-1]))


def table(results: dict[str, dict[str, Any]]) -> str:
    out = [
        "| property | accepted | refused | lost | duplicated | peak RSS | notes |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for row, r in results.items():
        if "error" in r:
            out.append(f"| {row} | - | - | - | - | - | FAILED: {r['error']} |")
            continue
        out.append(
            f"| {row} | {r['accepted']} | {r['refused']} | {r['lost']} | {r['duplicated']} "
            f"| {r['peak_rss_mb']:.0f} MB | {r['note']} |"
        )
    out.extend(
        f"| {name} | - | - | - | - | - | {why} |"
        for name, why in NOT_MEASURED.items()
        if not (name.startswith("fuzzing against PostgreSQL") and "fuzz-alertmanager-pg" in results)
        and not (name.startswith("three watchers") and "three-watchers" in results)
    )
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=600, help="generated payloads per webhook endpoint")
    parser.add_argument("--rows", default=",".join(ROWS))
    parser.add_argument("--postgres", help="an empty PostgreSQL database: the fuzz rows again against it")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.examples, args.postgres)))
        return 0
    results = {}
    wanted = args.rows.split(",")
    if args.postgres:
        wanted += ["fuzz-alertmanager-pg", "fuzz-pagerduty-pg", "three-watchers"]
    for row in wanted:
        results[row] = child(row, args.examples, args.postgres)
        print(f"{row}: {results[row]}", file=sys.stderr, flush=True)
    print(table(results))
    bad = [row for row, r in results.items() if "error" in r or r["lost"] or r["duplicated"] or "PROBLEMS" in r["note"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
