"""Property-based fuzzing of both webhook endpoints of the production listener over HTTP.

:class:`FuzzTarget` runs a watcher with its listener exactly as ``incident watch --listen`` does
(uvicorn on loopback, the durable inbox processing in the background) and checks, per request,
that the answer is never a 5xx and that a refusal wrote nothing to the inbox; :meth:`FuzzTarget.verify`
then counts, after the inbox is drained, every acknowledged valid alert or incident in the store:
missing ones are *lost*, ones stored more than once *duplicated*.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from benchmarks.reliability.payloads import (
    ALERTMANAGER_KINDS,
    PAGERDUTY_KINDS,
    Payload,
    alertmanager_payload,
    pagerduty_payload,
)
from incident.config import load_settings
from incident.listener import Listener
from incident.models import Alert, InboxItem, InboxStatus, Incident
from incident.registry import Connectors
from incident.store import Store
from incident.watcher import Watcher

SECRET = "whsec-fuzz"
MAX_BODY = 256 * 1024
ENDPOINTS = ("alertmanager", "pagerduty")
REPLAY_EVERY = 10
"""A tenth of the deliveries re-send acknowledged ones."""


@dataclass
class Tally:
    accepted: int = 0
    refused: int = 0
    server_errors: list[str] = field(default_factory=list)
    refusals_that_wrote: list[str] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    accepted_kinds: Counter[str] = field(default_factory=Counter)
    owed_alerts: set[tuple[str, str]] = field(default_factory=set)
    owed_incidents: set[str] = field(default_factory=set)
    replayable: list[Payload] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    endpoint: str
    payloads: int
    accepted: int
    refused: int
    lost: int
    duplicated: int
    failed_inbox: int
    server_errors: list[str]
    refusals_that_wrote: list[str]
    kinds: dict[str, int]
    accepted_kinds: dict[str, int]

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.failed_inbox or self.server_errors or self.refusals_that_wrote)


class FuzzTarget:
    """One watcher and its listener on ``store``; ``send`` posts a payload and checks the answer."""

    def __init__(self, store: Store) -> None:
        overlay = {"pagerduty": {"webhook_secret": SECRET}, "webhooks": {"max_body_bytes": MAX_BODY}}
        self.store = store
        self.watcher = Watcher(load_settings(overlays=[overlay], user_file=False), store, Connectors())
        self.listener = Listener(self.watcher, "127.0.0.1").start()
        self.client = httpx.Client(base_url=self.listener.url, timeout=30)
        self.tallies = {endpoint: Tally() for endpoint in ENDPOINTS}
        with store.session() as s:  # a shared store (PostgreSQL) may hold other runs' items
            self.first_inbox_id = s.scalar(select(func.max(InboxItem.id))) or 0

    def close(self) -> None:
        self.client.close()
        self.listener.stop()
        self.watcher.stop()

    def __enter__(self) -> FuzzTarget:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def inbox_rows(self) -> int:
        with self.store.session() as s:
            return s.scalar(select(func.count()).select_from(InboxItem)) or 0

    def send(self, endpoint: str, payload: Payload) -> int:
        tally = self.tallies[endpoint]
        tally.kinds[payload.kind] += 1
        before = self.inbox_rows()
        try:
            answer = self.client.post(f"/webhooks/{endpoint}", content=payload.body, headers=payload.headers)
            status, text = answer.status_code, answer.text[:200]
        except httpx.TransportError as exc:
            # closed after an early refusal (413, 408) while the body was still being sent: a refusal,
            # unless the payload was one the listener owed an answer to
            status, text = 0, ""
            if payload.alerts or payload.incidents:
                tally.server_errors.append(f"{payload.kind}: connection failed: {exc!r}")
        label = f"{payload.kind} -> {status}"
        if status >= 500:
            tally.server_errors.append(f"{label}: {text}")
        if 200 <= status < 300:
            tally.accepted += 1
            tally.accepted_kinds[payload.kind] += 1
            tally.owed_alerts.update(payload.alerts)
            tally.owed_incidents.update(payload.incidents)
            if payload.alerts or payload.incidents:
                tally.replayable.append(payload)
        else:
            tally.refused += 1
            if self.inbox_rows() != before:
                tally.refusals_that_wrote.append(label)
            if payload.kind in ("valid",):
                tally.server_errors.append(f"a valid payload was refused: {label}")
        return status

    def verify(self) -> list[Outcome]:
        self.watcher.inbox.drain()
        with self.store.session() as s:
            alert_rows = Counter(
                (fp, _stamp(starts))
                for fp, starts in s.execute(
                    select(Alert.fingerprint, Alert.starts_at).where(Alert.source == "alertmanager")
                )
            )
            incident_rows = Counter(
                key.removeprefix("pagerduty:")
                for key in s.scalars(select(Incident.dedup_key).where(Incident.dedup_key.like("pagerduty:%")))
            )
            failed = Counter(
                source
                for source in s.scalars(
                    select(InboxItem.source).where(
                        InboxItem.status != str(InboxStatus.done), InboxItem.id > self.first_inbox_id
                    )
                )
            )
        outcomes = []
        checks: list[tuple[str, Counter[Any], set[Any]]] = [
            ("alertmanager", alert_rows, self.tallies["alertmanager"].owed_alerts),
            ("pagerduty", incident_rows, self.tallies["pagerduty"].owed_incidents),
        ]
        for endpoint, rows, owed in checks:
            tally = self.tallies[endpoint]
            outcomes.append(
                Outcome(
                    endpoint=endpoint,
                    payloads=sum(tally.kinds.values()),
                    accepted=tally.accepted,
                    refused=tally.refused,
                    lost=len([key for key in owed if rows[key] == 0]),
                    duplicated=sum([rows[key] - 1 for key in owed if rows[key] > 1]),
                    failed_inbox=failed[endpoint],
                    server_errors=tally.server_errors,
                    refusals_that_wrote=tally.refusals_that_wrote,
                    kinds=dict(tally.kinds),
                    accepted_kinds=dict(tally.accepted_kinds),
                )
            )
        return outcomes


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def fuzz(target: FuzzTarget, examples: int, *, derandomize: bool = False) -> None:
    """``examples`` generated payloads per endpoint, about a tenth of them replays of acknowledged ones.
    ``derandomize`` draws the same payloads on every run (the test suite's subset); the benchmark
    explores anew each time."""
    for endpoint in ENDPOINTS:
        fuzz_endpoint(target, endpoint, examples, derandomize=derandomize)


def fuzz_endpoint(target: FuzzTarget, endpoint: str, examples: int, *, derandomize: bool = False) -> None:
    """``examples`` payloads: each kind in turn its share, then a tenth replays of acknowledged ones."""
    kinds = ALERTMANAGER_KINDS if endpoint == "alertmanager" else PAGERDUTY_KINDS
    replays = max(1, examples // REPLAY_EVERY)
    share = -(-(examples - replays) // len(kinds))
    for kind in kinds:  # one property per kind: hypothesis alone dwells on some kinds for long
        _property(target, endpoint, _strategy(endpoint, kind), share, derandomize)()
    owed = list(target.tallies[endpoint].replayable)
    if owed:
        replay = st.sampled_from(owed).map(lambda p: Payload("replay", p.body, p.headers, p.alerts, p.incidents))
        _property(target, endpoint, replay, replays, derandomize)()


def _strategy(endpoint: str, kind: str) -> Any:
    if endpoint == "alertmanager":
        return alertmanager_payload(kind=kind, max_body=MAX_BODY)
    return pagerduty_payload(kind=kind, secret=SECRET, max_body=MAX_BODY)


def _property(target: FuzzTarget, endpoint: str, strategy: Any, examples: int, derandomize: bool = False) -> Any:
    """A hypothesis test posting ``examples`` payloads drawn from ``strategy`` to ``endpoint``."""

    @settings(
        max_examples=examples,
        derandomize=derandomize,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(payload=strategy)
    def one(payload: Payload) -> None:
        target.send(endpoint, payload)

    return one
