"""Copy a scenario with every timestamp moved by a fixed offset: the same incident, happening again later."""

from __future__ import annotations

import gzip
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
_LOG_STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?")
_SAMPLE = re.compile(r"^(?P<head>(?:[^\s{#][^\s{]*\{.*\}|[^\s{#]+) \S+) (?P<ts>\d+(?:\.\d+)?)$")


def _shift_rfc3339(match: re.Match[str], by: timedelta) -> str:
    text = match.group(0)
    when = (datetime.fromisoformat(text.replace("Z", "+00:00")) + by).astimezone(UTC)
    fraction = re.search(r"\.(\d+)", text)
    body = when.strftime("%Y-%m-%dT%H:%M:%S")
    if fraction:
        body += "." + f"{when.microsecond:06d}"[: len(fraction.group(1))].ljust(len(fraction.group(1)), "0")
    return body + "Z"


def _shift_log_stamp(match: re.Match[str], by: timedelta) -> str:
    text = match.group(0)
    when = datetime.fromisoformat(text) + by
    return when.isoformat(sep=" ", timespec="milliseconds" if "." in text else "seconds")[: len(text)]


def shift_text(text: str, by: timedelta) -> str:
    text = _RFC3339.sub(lambda m: _shift_rfc3339(m, by), text)
    return _LOG_STAMP.sub(lambda m: _shift_log_stamp(m, by), text)


def _shift_metrics(text: str, by: timedelta) -> str:
    seconds = by.total_seconds()
    out = []
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if m:
            ts = float(m.group("ts")) + seconds
            line = f"{m.group('head')} {int(ts) if ts.is_integer() else ts}"
        out.append(line)
    return "\n".join(out) + "\n"


def shifted_copy(source: Path, target: Path, by: timedelta) -> Path:
    """``source`` copied to ``target`` with all RFC 3339 times, log line stamps and OpenMetrics
    sample times moved by ``by`` (what the scenario calls "now", page.at, moves with them)."""
    shutil.copytree(source, target)
    for path in target.rglob("*"):
        if not path.is_file():
            continue
        if path.name.endswith(".om.gz"):
            path.write_bytes(gzip.compress(_shift_metrics(gzip.decompress(path.read_bytes()).decode(), by).encode()))
        elif path.suffix == ".om":
            path.write_text(_shift_metrics(path.read_text(), by))
        elif path.suffix in (".json", ".yaml", ".yml", ".log", ".toml"):
            path.write_text(shift_text(path.read_text(), by))
    return target
