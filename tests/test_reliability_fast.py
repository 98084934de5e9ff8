"""The reliability suite's fast subset (issue 10, point 11): ~100 generated payloads per webhook
endpoint of the production listener over HTTP, with the same assertions as
``benchmarks/reliability/run.py``: never a 5xx, refusals write nothing, every acknowledged valid
alert or PagerDuty incident is in the store exactly once (replays included)."""

from __future__ import annotations

import pytest

from benchmarks.reliability.fuzz import FuzzTarget, fuzz
from incident.store import Store

EXAMPLES = 100


@pytest.mark.timeout(120)
def test_fuzzed_webhooks_never_5xx_lose_or_duplicate(store: Store) -> None:
    with FuzzTarget(store) as target:
        fuzz(target, EXAMPLES)
        outcomes = target.verify()
    for outcome in outcomes:
        assert outcome.payloads >= EXAMPLES, outcome
        assert outcome.server_errors == [], outcome
        assert outcome.refusals_that_wrote == [], outcome
        assert (outcome.lost, outcome.duplicated, outcome.failed_inbox) == (0, 0, 0), outcome
        assert outcome.accepted > 0 and outcome.refused > 0, outcome  # both sides of the property exercised
