"""``incident stats`` on a store built by hand: exact MTTA/MTTR, counts, and accuracy from verdicts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from incident.models import Hypothesis, Incident
from incident.stats import compute_stats
from incident.store import Store
from tests.test_cli import incident

T0 = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def build(db: Path, *, verdicts: bool = True) -> None:
    store = Store(f"sqlite:///{db}")
    rows = [
        # id, component, status, page, ack, resolved (minutes after T0)
        (1, "checkout", "resolved", 120, 125, 150),
        (2, "checkout", "resolved", 180, 195, 240),
        (3, "checkout", "triggered", 240, None, None),
        (4, "payments", "resolved", 60, 61, 70),
        (5, None, "acknowledged", 0, 2, None),
    ]
    hypotheses = [
        # incident, source, rank, kind, status
        (1, "analyzer", 1, "deploy_regression", "confirmed"),
        (1, "analyzer", 2, "network", "rejected"),
        (2, "analyzer", 1, "deploy_regression", "rejected"),
        (2, "analyzer", 2, "config_change", "confirmed"),
        (2, "analyzer", None, "oom", "dropped"),
        (4, "analyzer", 1, "crashloop", "proposed"),
        (1, "agent", 1, "deploy_regression", "confirmed"),
        (4, "agent", 2, "oom", "rejected"),
    ]
    with store.session() as s:
        for id_, comp, status, page, ack, resolved in rows:
            s.add(
                Incident(
                    id=id_,
                    dedup_key=f"k{id_}",
                    source="alertmanager",
                    title=f"t{id_}",
                    status=status,
                    component=comp,
                    page_at=at(page),
                    acknowledged_at=at(ack) if ack is not None else None,
                    resolved_at=at(resolved) if resolved is not None else None,
                )
            )
        s.flush()
        for i, (inc, source, rank, kind, status) in enumerate(hypotheses):
            if not verdicts and status in ("confirmed", "rejected"):
                status = "proposed"
            s.add(
                Hypothesis(
                    id=f"hy{i}",
                    incident_id=inc,
                    source=source,
                    rank=rank,
                    kind=kind,
                    component=rows[inc - 1][1] or "-",
                    confidence=0.5,
                    summary=kind,
                    status=status,
                    verdict_by="alice" if status in ("confirmed", "rejected") else None,
                )
            )
    store.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "s.db"
    build(path)
    return path


def test_counts_and_response_times(db: Path) -> None:
    store = Store(f"sqlite:///{db}")
    with store.session() as s:
        stats = compute_stats(s)
    store.close()
    assert (stats.incidents, stats.open, stats.resolved) == (5, 2, 3)
    assert (stats.mtta.count, stats.mtta.mean_seconds, stats.mtta.median_seconds) == (4, 345.0, 210.0)
    assert (stats.mttr.count, stats.mttr.mean_seconds, stats.mttr.median_seconds) == (3, 2000.0, 1800.0)
    by = {c.component: c for c in stats.components}
    assert [c.component for c in stats.components] == ["checkout", "(unknown)", "payments"]
    assert (by["checkout"].total, by["checkout"].open, by["checkout"].resolved) == (3, 1, 2)
    assert (by["checkout"].mtta.mean_seconds, by["checkout"].mttr.mean_seconds) == (600.0, 2700.0)
    assert by["checkout"].mttr.median_seconds == 2700.0
    assert (by["payments"].mtta.mean_seconds, by["payments"].mttr.mean_seconds) == (60.0, 600.0)
    assert by["(unknown)"].mttr.count == 0 and by["(unknown)"].mtta.mean_seconds == 120.0


def test_accuracy_per_kind_and_source_from_verdicts(db: Path) -> None:
    store = Store(f"sqlite:///{db}")
    with store.session() as s:
        stats = compute_stats(s)
    store.close()
    analyzer, agent = stats.accuracy
    assert stats.verdicts == 6
    assert (analyzer.source, analyzer.confirmed, analyzer.rejected, analyzer.accuracy) == ("analyzer", 2, 2, 0.5)
    assert {k.kind: (k.confirmed, k.rejected, k.accuracy) for k in analyzer.kinds} == {
        "config_change": (1, 0, 1.0),
        "deploy_regression": (1, 1, 0.5),
        "network": (0, 1, 0.0),
    }
    assert (analyzer.incidents_with_verdict, analyzer.top1_confirmed, analyzer.top1_accuracy) == (2, 1, 0.5)
    assert (agent.source, agent.confirmed, agent.rejected, agent.accuracy) == ("agent", 1, 1, 0.5)
    assert {k.kind: k.accuracy for k in agent.kinds} == {"deploy_regression": 1.0, "oom": 0.0}
    assert (agent.incidents_with_verdict, agent.top1_confirmed, agent.top1_accuracy) == (2, 1, 0.5)


def test_since_filters_by_page_time(db: Path) -> None:
    store = Store(f"sqlite:///{db}")
    with store.session() as s:
        stats = compute_stats(s, since=at(150))
    store.close()
    assert stats.incidents == 2 and [c.component for c in stats.components] == ["checkout"]
    analyzer, agent = stats.accuracy
    assert (analyzer.confirmed, analyzer.rejected, analyzer.top1_accuracy) == (1, 1, 0.0)
    assert agent.accuracy is None and agent.kinds == []


def config(tmp_path: Path, db: Path) -> Path:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[store]\nurl = "sqlite:///{db}"\n')
    return cfg


def test_the_cli_prints_the_tables_and_writes_json(db: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "stats.json"
    out = incident("--config", str(config(tmp_path, db)), "stats", "--json", str(out_file))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    checkout = next(line for line in lines if "checkout" in line)
    assert "10m 00s / 10m 00s" in checkout and "45m 00s / 45m 00s" in checkout
    assert any("all" in line and "5m 45s / 3m 30s" in line for line in lines)
    assert "analyzer: accuracy from feedback" in out.stdout and "agent: accuracy from feedback" in out.stdout
    assert "top-1: rank 1 confirmed on 1 of 2 incident(s) with a verdict (50%)" in out.stdout
    written = json.loads(out_file.read_text())
    assert written["incidents"] == 5 and written["mttr"]["mean_seconds"] == 2000.0
    assert written["accuracy"][0]["kinds"][0] == {
        "kind": "config_change",
        "confirmed": 1,
        "rejected": 0,
        "accuracy": 1.0,
    }


def test_the_cli_says_when_there_is_no_feedback_and_refuses_a_bad_since(tmp_path: Path) -> None:
    db = tmp_path / "quiet.db"
    build(db, verdicts=False)
    cfg = str(config(tmp_path, db))
    out = incident("--config", cfg, "stats", "--since", "2026-02-01")
    assert out.returncode == 0, out.stderr
    assert "No feedback yet" in out.stdout and "accuracy from feedback" not in out.stdout
    assert "paged since 2026-02-01 00:00 UTC" in out.stdout
    bad = incident("--config", cfg, "stats", "--since", "last tuesday")
    assert bad.returncode == 2 and "--since" in bad.stderr and "Traceback" not in bad.stderr
