"""A real Prometheus on loopback, backfilled from a scenario's OpenMetrics file.

``promtool tsdb create-blocks-from openmetrics`` is picky: it rejects a sample without a
timestamp or a file without ``# EOF``, and silently drops samples that are out of time order
within a series (reversed input, a family interleaved with another). Scenario files, often
converted from public datasets, are not always tidy, so :func:`prepare_openmetrics` rewrites
them: it drops samples stamped after the page (the pipeline's "now"), regroups samples per
family and series, sorts them by time and appends ``# EOF``. Prometheus then serves the blocks
with a 100-year retention (they are old) and no scrape targets, so the data is exactly the
scenario's.
"""

from __future__ import annotations

import logging
import math
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType

from incident.config import parse_duration
from incident.errors import SandboxError
from incident.sandbox import procs
from incident.scenario import Scenario

log = logging.getLogger(__name__)

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})?\s+(.*)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"')
_META = re.compile(r"^#\s+(HELP|TYPE|UNIT)\s+(\S+)")
_SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created", "_gcount", "_gsum", "_info")
_MAX_BLOCK = timedelta(days=31)
"""Prometheus never compacts beyond 31 days; longer scenarios get several blocks."""


@dataclass(frozen=True)
class PreparedMetrics:
    text: str
    samples: int
    dropped_after_page: int
    dropped_untimed: int
    min_ts: float | None
    max_ts: float | None


def _family_of(name: str, families: dict[str, list[str]]) -> str:
    if name in families:
        return name
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in families:
            return name[: -len(suffix)]
    return name


def prepare_openmetrics(text: str, *, until: datetime) -> PreparedMetrics:
    """Return promtool-ready OpenMetrics: nothing after ``until``, grouped, time-sorted, ``# EOF``."""
    limit = until.timestamp()
    meta: dict[str, list[str]] = {}
    # (family, series key) -> {timestamp: line}; dicts keep first-seen order of families and series
    series: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], dict[float, str]]] = {}
    raw_samples: list[tuple[int, str, str, str | None, str]] = []
    late = untimed = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        if line.startswith("#"):
            if line.strip() == "# EOF":
                break
            match = _META.match(line)
            if match:
                lines = meta.setdefault(match.group(2), [])
                if line not in lines:
                    lines.append(line)
            continue
        match = _SAMPLE.match(line)
        if match is None:
            raise SandboxError(f"metrics line {lineno}: not an OpenMetrics sample: {line[:120]!r}")
        name, labels, rest = match.group(1), match.group(2) or "", match.group(3)
        tokens = rest.split(" # ", 1)[0].split()
        raw_samples.append((lineno, name, labels, tokens[1] if len(tokens) > 1 else None, line))
    for lineno, name, labels, ts_text, line in raw_samples:
        if ts_text is None:
            untimed += 1
            continue
        try:
            ts = float(ts_text)
        except ValueError as exc:
            raise SandboxError(f"metrics line {lineno}: bad timestamp {ts_text!r}") from exc
        if ts > limit:
            late += 1
            continue
        family = _family_of(name, meta)
        key = (name, tuple(sorted(_LABEL.findall(labels))))
        series.setdefault(family, {}).setdefault(key, {})[ts] = line  # duplicate timestamp: last wins
    out: list[str] = []
    count = 0
    min_ts: float | None = None
    max_ts: float | None = None
    for family, members in series.items():
        out.extend(meta.get(family, []))
        for points in members.values():
            stamps = sorted(points)
            out.extend(points[ts] for ts in stamps)
            count += len(stamps)
            min_ts = stamps[0] if min_ts is None else min(min_ts, stamps[0])
            max_ts = stamps[-1] if max_ts is None else max(max_ts, stamps[-1])
    out.append("# EOF")
    return PreparedMetrics("\n".join(out) + "\n", count, late, untimed, min_ts, max_ts)


def block_duration(prepared: PreparedMetrics) -> timedelta:
    """Smallest whole number of 2-hour units covering the span (so one or two blocks), at most 31 days."""
    if prepared.min_ts is None or prepared.max_ts is None:
        return timedelta(hours=2)
    hours = max(2, 2 * math.ceil((prepared.max_ts - prepared.min_ts) / 7200))
    return min(timedelta(hours=hours), _MAX_BLOCK)


def scenario_step(scenario: Scenario) -> timedelta:
    metrics = scenario.config.get("metrics", {})
    try:
        return parse_duration(metrics.get("step", 60))
    except ValueError:
        return timedelta(seconds=60)


class PrometheusProcess:
    """``prometheus`` serving one scenario's metrics on 127.0.0.1; ``url`` is None when unavailable."""

    def __init__(self, scenario: Scenario, workdir: Path) -> None:
        self.scenario = scenario
        self.workdir = Path(workdir) / "prometheus"
        self.url: str | None = None
        self.available = False
        self.reason: str | None = None
        self.prepared: PreparedMetrics | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.workdir / "prometheus.log"

    def start(self) -> PrometheusProcess:
        text = self.scenario.metrics_text()
        if not text:
            self.reason = "scenario has no metrics"
            return self
        prometheus = procs.find_binary("prometheus", "prometheus")
        promtool = procs.find_binary("promtool", "prometheus")
        self.prepared = prepared = prepare_openmetrics(text, until=self.scenario.page_at)
        if prepared.dropped_untimed:
            log.warning("%s: %d samples without a timestamp skipped", self.scenario.name, prepared.dropped_untimed)
        if prepared.samples == 0:
            self.reason = "scenario has no metric samples at or before page time"
            return self
        self.workdir.mkdir(parents=True, exist_ok=True)
        data = self.workdir / "data"
        shutil.rmtree(data, ignore_errors=True)  # a re-run must not add overlapping copies
        source = self.workdir / "metrics.om"
        source.write_text(prepared.text)
        hours = int(block_duration(prepared).total_seconds() // 3600)
        procs.run_tool(
            [
                promtool,
                "tsdb",
                "create-blocks-from",
                "openmetrics",
                f"--max-block-duration={hours}h",
                str(source),
                str(data),
            ],
            self.workdir / "promtool.log",
        )
        config = self.workdir / "prometheus.yml"
        config.write_text("global:\n  scrape_interval: 1m\n  evaluation_interval: 1m\nscrape_configs: []\n")
        lookback = max(2 * scenario_step(self.scenario), timedelta(minutes=5))
        argv = [
            prometheus,
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            "--storage.tsdb.retention.time=100y",
            f"--query.lookback-delta={int(lookback.total_seconds())}s",
            "--log.level=warn",
        ]
        self._proc, self.url = procs.start_listening(
            argv, "--web.listen-address=127.0.0.1:{port}", self.log_path, "/-/ready"
        )
        self.available = True
        log.info("prometheus for %s at %s (%d samples)", self.scenario.name, self.url, prepared.samples)
        return self

    def stop(self) -> None:
        procs.stop_process(self._proc)
        self._proc = None
        self.available = False

    def __enter__(self) -> PrometheusProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
