"""The ``silence-cycles`` row: silences and inhibitions against the real Alertmanager binary.

A watcher polls a real Alertmanager (127.0.0.1, an inhibit rule: a ``critical`` alert inhibits a
``warning`` one of the same service) through :meth:`Watcher.poll_alertmanager`, its SQLite store in
a temporary directory. Each cycle, for every alert set (one service each) at once:

1. the critical alert fires -> one incident opens;
2. it is silenced (API v2) -> over more polls than ``absent_polls`` the incident stays open and
   its timeline shows the silence with its author and end;
3. the silence is expired with the alert still firing -> still open, the expiry is shown;
4. the warning alert fires and is inhibited by the critical one -> it joins the same incident,
   stays firing over more polls than ``absent_polls``, shown inhibited;
5. both are resolved (``endsAt`` in the past; in odd cycles with both silenced again first) -> the
   incident resolves. Alertmanager's API no longer lists a resolved alert, so a poll sees it
   absent: it resolves after ``absent_polls`` polls (a webhook with ``send_resolved`` is sooner).

Counts are per alert set and cycle: accepted = those five transitions plus "stayed open while
silenced" seen correctly, refused = one not seen (shown wrong or missing, not a loss), lost = an
incident resolved or an alert resolved or missing while Alertmanager still had it firing,
duplicated = a second incident (or alert row) for the same firing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from connectors.alertmanager import AlertmanagerConnector, fingerprint
from incident.config import load_settings
from incident.models import Alert, EventKind, Incident, TimelineEvent
from incident.registry import Connectors
from incident.sandbox import procs
from incident.store import Store
from incident.watcher import Watcher

SETS = 3
CYCLES = 10
TRANSITIONS = 6
"""Checked per alert set and cycle: opened, stayed open while silenced, silence shown, expiry
shown, inhibition shown, resolved."""


def _config() -> dict[str, Any]:
    return {
        "route": {"receiver": "oncall", "group_by": ["alertname"], "group_wait": "1s", "repeat_interval": "1h"},
        "receivers": [{"name": "oncall"}],
        "inhibit_rules": [
            {
                "source_matchers": ['severity="critical"'],
                "target_matchers": ['severity="warning"'],
                "equal": ["service"],
            }
        ],
    }


@contextmanager
def _alertmanager(workdir: Path) -> Iterator[str]:
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if binary is None:
        raise RuntimeError("no Alertmanager binary on PATH (prometheus-alertmanager or alertmanager)")
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "alertmanager.yml"
    config.write_text(json.dumps(_config()))  # JSON is YAML
    argv = [
        binary,
        f"--config.file={config}",
        f"--storage.path={workdir / 'data'}",
        "--cluster.listen-address=",
        "--log.level=warn",
    ]
    proc: subprocess.Popen[bytes] | None
    proc, url = procs.start_listening(argv, "--web.listen-address=127.0.0.1:{port}", workdir / "am.log", "/-/ready")
    try:
        yield url
    finally:
        procs.stop_process(proc)


def _labels(s: int, critical: bool) -> dict[str, str]:
    if critical:
        return {"alertname": "Paged", "service": f"svc{s}", "severity": "critical"}
    return {"alertname": "Latency", "service": f"svc{s}", "severity": "warning"}


class Cycles:
    def __init__(self, url: str, watcher: Watcher, store: Store) -> None:
        self.url, self.watcher, self.store = url, watcher, store
        self.am = AlertmanagerConnector(watcher.settings.alertmanager)
        self.absent_polls = watcher.settings.alertmanager.absent_polls
        self.tally: Counter[str] = Counter()
        self.problems: list[str] = []
        self.polls = 0
        self.to_resolve: Counter[int] = Counter()
        """Polls it took after the resolve until every incident of the cycle resolved."""

    # ------------------------------------------------------------------ Alertmanager side
    def post(self, labels: dict[str, str], starts: datetime, ends: datetime) -> None:
        alert = {"labels": labels, "startsAt": _iso(starts), "endsAt": _iso(ends)}
        httpx.post(f"{self.url}/api/v2/alerts", json=[alert], timeout=10).raise_for_status()

    def poll(self) -> None:
        self.watcher.poll_alertmanager()
        self.polls += 1
        if "alertmanager" in self.watcher.source_errors:
            self.problems.append(f"poll failed: {self.watcher.source_errors['alertmanager']}")

    # ------------------------------------------------------------------ the store's side
    def incidents(self, s: int, since: datetime) -> list[tuple[int, str]]:
        with self.store.session() as session:
            rows = session.execute(
                select(Incident.id, Incident.status)
                .where(Incident.component == f"svc{s}", Incident.page_at >= since)
                .order_by(Incident.id)
            ).all()
        return [(int(i), str(status)) for i, status in rows]

    def alert_rows(self, fp: str, starts: datetime) -> list[tuple[int, str]]:
        with self.store.session() as session:
            rows = session.execute(
                select(Alert.incident_id, Alert.status).where(Alert.fingerprint == fp, Alert.starts_at == starts)
            ).all()
        return [(int(i), str(status)) for i, status in rows]

    def notes(self, incident_id: int) -> list[str]:
        with self.store.session() as session:
            return list(
                session.scalars(
                    select(TimelineEvent.summary).where(
                        TimelineEvent.incident_id == incident_id,
                        TimelineEvent.kind == str(EventKind.note),
                        TimelineEvent.source == "alertmanager",
                    )
                )
            )

    def check(self, ok: bool, what: str) -> None:
        self.tally["accepted" if ok else "refused"] += 1
        if not ok:
            self.problems.append(what)

    def still_firing(self, s: int, incident_id: int, firing: list[tuple[str, datetime]], when: str) -> bool:
        """Lost: the incident or one of Alertmanager's still-firing alerts resolved or missing."""
        lost = 0
        if dict(self.incidents(s, firing[0][1])).get(incident_id) in (None, "resolved"):
            lost += 1
            self.problems.append(f"svc{s} {when}: incident {incident_id} resolved while its alerts fire")
        for fp, starts in firing:
            rows = self.alert_rows(fp, starts)
            if [status for _, status in rows] != ["firing"] or rows[0][0] != incident_id:
                lost += 1
                self.problems.append(f"svc{s} {when}: alert {fp} rows {rows}, expected firing in {incident_id}")
        self.tally["lost"] += lost
        return not lost

    # ------------------------------------------------------------------ one cycle
    def cycle(self, n: int) -> None:
        start = _next_second()
        critical = {s: fingerprint(_labels(s, True)) for s in range(SETS)}
        warning = {s: fingerprint(_labels(s, False)) for s in range(SETS)}
        for s in range(SETS):
            self.post(_labels(s, True), start, start + timedelta(hours=1))
        self.poll()
        incident: dict[int, int] = {}
        for s in range(SETS):
            seen = self.incidents(s, start)
            self.tally["duplicated"] += max(0, len(seen) - 1)
            opened = len(seen) >= 1 and seen[0][1] != "resolved"
            self.check(opened, f"cycle {n} svc{s}: opened {seen}")
            if not seen:
                self.tally["lost"] += 1
                continue
            incident[s] = seen[0][0]
        live = [s for s in range(SETS) if s in incident]

        silences = {}
        for s in live:
            silences[s] = self.am.create_silence(
                matchers={"alertname": "Paged", "service": f"svc{s}"},
                starts_at=datetime.now(UTC),
                ends_at=datetime.now(UTC) + timedelta(hours=2),
                created_by=f"oncall-{s}@example.com",
                comment=f"cycle {n}",
            )
        for _ in range(self.absent_polls + 1):  # silenced is not absent
            self.poll()
        for s in list(live):
            kept = self.still_firing(s, incident[s], [(critical[s], start)], f"cycle {n} silenced")
            self.check(kept, f"cycle {n} svc{s}: not kept open while silenced")
            shown = [
                note
                for note in self.notes(incident[s])
                if f"silence {silences[s]}" in note and f"oncall-{s}@example.com" in note and "until" in note
            ]
            self.check(bool(shown), f"cycle {n} svc{s}: silence {silences[s]} not shown")

        for s in live:
            self.am.expire_silence(silences[s])
        self.poll()
        self.poll()
        for s in live:
            kept = self.still_firing(s, incident[s], [(critical[s], start)], f"cycle {n} silence expired")
            ended = [n_ for n_ in self.notes(incident[s]) if f"silence {silences[s]} ended" in n_ and "firing" in n_]
            self.check(kept and bool(ended), f"cycle {n} svc{s}: silence expiry not shown")

        inhibited_at = _next_second()
        for s in live:
            self.post(_labels(s, False), inhibited_at, inhibited_at + timedelta(hours=1))
        for _ in range(self.absent_polls + 1):  # inhibited is not absent
            self.poll()
        for s in live:
            firing = [(critical[s], start), (warning[s], inhibited_at)]
            kept = self.still_firing(s, incident[s], firing, f"cycle {n} inhibited")
            self.tally["duplicated"] += max(0, len(self.incidents(s, start)) - 1)
            shown = [note for note in self.notes(incident[s]) if f"inhibited by alert(s) {critical[s]}" in note]
            self.check(kept and bool(shown), f"cycle {n} svc{s}: inhibition not shown")

        resolving = []
        if n % 2:  # odd cycles resolve while the critical alert is silenced again as well
            for s in live:
                resolving.append(
                    self.am.create_silence(
                        matchers={"service": f"svc{s}"},
                        starts_at=datetime.now(UTC),
                        ends_at=datetime.now(UTC) + timedelta(hours=2),
                        created_by="oncall@example.com",
                        comment=f"cycle {n}: resolving",
                    )
                )
            self.poll()
        ended_at = _next_second()
        for s in live:
            self.post(_labels(s, True), start, ended_at)
            self.post(_labels(s, False), inhibited_at, ended_at)
        time.sleep(0.05)
        for k in range(1, self.absent_polls + 2):
            self.poll()
            if all(dict(self.incidents(s, start)).get(incident[s]) == "resolved" for s in live):
                self.to_resolve[k] += 1
                break
        for s in live:
            status = dict(self.incidents(s, start)).get(incident[s])
            self.check(status == "resolved", f"cycle {n} svc{s}: incident {incident[s]} {status} after resolve")
            self.tally["duplicated"] += max(0, len(self.incidents(s, start)) - 1)
        for silence in resolving:  # else it would mute the next cycle's firing from the start
            self.am.expire_silence(silence)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _next_second() -> datetime:
    """A whole second after every earlier call's: each firing gets a startsAt of its own."""
    now = datetime.now(UTC)
    time.sleep(1 - now.microsecond / 1e6)
    return datetime.now(UTC).replace(microsecond=0)


def silence_row() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, _alertmanager(Path(tmp) / "am") as url:
        store = Store(f"sqlite:///{Path(tmp) / 'silence.db'}")
        settings = load_settings(overlays=[{"alertmanager": {"url": url}}], user_file=False)
        watcher = Watcher(settings, store, Connectors(alertmanager=AlertmanagerConnector(settings.alertmanager)))
        started = time.monotonic()
        cycles = Cycles(url, watcher, store)
        try:
            for n in range(CYCLES):
                cycles.cycle(n)
        finally:
            watcher.stop()
        seconds = time.monotonic() - started
        with store.session() as s:
            incidents = dict(s.execute(select(Incident.status, func.count()).group_by(Incident.status)).all())
            rows = s.execute(
                select(Alert.fingerprint, Alert.starts_at, func.count()).group_by(Alert.fingerprint, Alert.starts_at)
            ).all()
        store.close()
    tally = cycles.tally
    binary = Path(shutil.which("prometheus-alertmanager") or shutil.which("alertmanager") or "?").name
    duplicated = tally["duplicated"] + sum(c - 1 for _, _, c in rows if c > 1)
    expected = SETS * CYCLES
    problems = cycles.problems + (
        [f"incidents {incidents}, expected {expected} resolved"] if incidents != {"resolved": expected} else []
    )
    return {
        "accepted": tally["accepted"],
        "refused": tally["refused"],
        "lost": tally["lost"],
        "duplicated": duplicated,
        "note": f"state transitions; real Alertmanager ({binary}), "
        f"{SETS} alert sets x {CYCLES} cycles of fire, silence ({cycles.absent_polls + 1} polls), expire, "
        f"inhibit ({cycles.absent_polls + 1} polls), resolve: {TRANSITIONS} transitions each "
        f"({SETS * CYCLES * TRANSITIONS} expected); {cycles.polls} polls in {seconds:.1f} s; "
        f"polls to resolve {dict(cycles.to_resolve)} (absent_polls {cycles.absent_polls}); "
        f"incidents {incidents}, {len(rows)} alert firings stored"
        + (f"; PROBLEMS: {problems[:5]}" if problems else ""),
    }
