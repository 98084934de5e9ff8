#!/usr/bin/env python3
"""Regenerate the bundled scenarios: ``python scenarios/generate.py [--out DIR] [--only NAME ...]``.

Deterministic: every random choice comes from an RNG seeded with the scenario's name, and gzip
headers carry no timestamp, so two runs write identical bytes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _gen.registry import CASES  # noqa: E402
from _gen.render import write  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="directory to write scenarios into (default: here)")
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        choices=sorted(CASES),
        help="generate only this scenario (repeatable)",
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.only or list(CASES):
        root = write(CASES[name](), args.out)
        size = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
        print(f"{root}  {size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
