#!/usr/bin/env python3
"""Synthesise a development set of incidents: ``python scenarios/synthesize.py OUT_DIR [--count 240] [--seed 7]``.

Writes OUT_DIR/tune/<case>/ (even case indices) and OUT_DIR/check/<case>/ (odd ones), each a complete
scenario directory, plus OUT_DIR/manifest.json. Deterministic: the same seed writes identical bytes.
See scenarios/_synth/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _synth.case import build, plan  # noqa: E402
from _synth.render import write  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("out", type=Path, help="directory to write tune/ and check/ into")
    parser.add_argument("--count", type=int, default=240, help="number of cases (default 240)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the whole set (default 7)")
    parser.add_argument("--only", type=int, action="append", metavar="INDEX", help="build only this case index")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    manifest: list[dict[str, Any]] = []
    for planned in plan(args.seed, args.count):
        if args.only and planned.index not in args.only:
            continue
        case = build(args.seed, planned)
        root = write(case, args.out / planned.split)
        f = case.fault
        manifest.append(
            {
                "name": planned.name,
                "split": planned.split,
                "kind": f.kind,
                "component": f.cause,
                "paged": f.paged,
                "hops": len(f.chain) - 1,
                "services": len(case.world.topo.services),
                "confounders": case.confounders,
                "bytes": sum(p.stat().st_size for p in root.rglob("*") if p.is_file()),
            }
        )
    (args.out / "manifest.json").write_text(json.dumps({"seed": args.seed, "cases": manifest}, indent=1) + "\n")
    total = sum(c["bytes"] for c in manifest)
    print(f"{len(manifest)} cases in {args.out}  {total / 1024**2:.1f} MiB  {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
