"""Three ``incident watch`` processes on one PostgreSQL store, the leader killed with -9 (issue 10,
point 10): one leader polls at a time, another takes over within one poll interval, every
acknowledged webhook lands once, every incident is gathered."""

from __future__ import annotations

import pytest

from benchmarks.reliability.watchers import run_cluster
from tests.conftest import postgres_url
from tests.test_coordination import fresh_postgres

POLL_SECONDS = 1.0


@pytest.mark.postgres
@pytest.mark.timeout(300)
@pytest.mark.skipif(postgres_url() is None, reason="no PostgreSQL server: set INCIDENT_TEST_POSTGRES_URL")
def test_three_watchers_survive_leader_kills_without_loss_or_duplicates() -> None:
    result = run_cluster(fresh_postgres(), watchers=3, kills=2, poll_seconds=POLL_SECONDS)
    assert result["problems"] == []
    assert result["accepted"] > 0
    assert result["lost"] == 0
    assert result["duplicated"] == 0
    assert result["ungathered"] == 0
    # a follower asks for the lock at every poll tick: failover within one interval (+ scrape slack)
    assert len(result["failovers"]) == 2
    assert max(result["failovers"]) <= POLL_SECONDS + 2.0, result["failovers"]
