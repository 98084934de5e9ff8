"""The reliability suite's fast subset (issue 10, point 11): ~100 generated payloads per webhook
endpoint of the production listener over HTTP, with the same assertions as
``benchmarks/reliability/run.py``: never a 5xx, refusals write nothing, every acknowledged valid
alert or PagerDuty incident is in the store exactly once (replays included)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from benchmarks.reliability.fuzz import SECRET, FuzzTarget, fuzz
from benchmarks.reliability.payloads import signed
from incident.store import Store
from tests.conftest import postgres_url
from tests.test_webhooks import pd_body

EXAMPLES = 100


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest, store: Store) -> Iterator[Store]:
    """The test's SQLite store, or the PostgreSQL one of INCIDENT_TEST_POSTGRES_URL (which enforces
    column lengths and refuses NUL: SQLite does neither)."""
    if request.param == "sqlite":
        yield store
        return
    url = postgres_url()
    if url is None:
        pytest.skip("no PostgreSQL server: set INCIDENT_TEST_POSTGRES_URL")
    shared = Store(url)
    yield shared
    shared.close()


@pytest.mark.timeout(120)
def test_fuzzed_webhooks_never_5xx_lose_or_duplicate(any_store: Store) -> None:
    with FuzzTarget(any_store) as target:
        fuzz(target, EXAMPLES, derandomize=True)  # the same payloads every run; the benchmark explores
        outcomes = target.verify()
    for outcome in outcomes:
        assert outcome.payloads >= EXAMPLES, outcome
        assert outcome.server_errors == [], outcome
        assert outcome.refusals_that_wrote == [], outcome
        assert (outcome.lost, outcome.duplicated, outcome.failed_inbox) == (0, 0, 0), outcome
        assert outcome.accepted > 0 and outcome.refused > 0, outcome  # both sides of the property exercised


@pytest.mark.parametrize("where", ["incident", "service"])
def test_a_pagerduty_id_longer_than_the_store_keeps_is_refused_before_the_2xx(any_store: Store, where: str) -> None:
    """Found by the fuzzer on PostgreSQL: a 300-character incident id (or a 65-character service id)
    was acknowledged 202, then failed processing on every retry (``varchar(255)`` / ``varchar(64)``),
    so the delivery was lost. It is a 400 now, and nothing is written."""
    body = json.loads(pd_body())
    data = body["event"]["data"]
    if where == "incident":
        data["id"] = "Q" * 300
    else:
        data["service"]["id"] = "S" * 65
    raw = json.dumps(body).encode()
    with FuzzTarget(any_store) as target:
        before = target.inbox_rows()
        answer = target.client.post("/webhooks/pagerduty", content=raw, headers=signed(raw, SECRET))
        assert answer.status_code == 400, answer.text
        assert "longer than" in answer.json()["error"]
        assert target.inbox_rows() == before
