"""``incident doctor`` on alert intake: a failing Alertmanager poll is FAIL even when its status page
answers, and quarantined alerts are listed with their reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from connectors.alertmanager.webhook import rejected
from incident.models import QUARANTINE_RAW_MAX, QuarantinedAlert
from incident.quarantine import LABEL_SHOWN, RAW_SHOWN, VALUE_SHOWN, doctor_lines, quarantine, recent
from incident.sandbox.http import Response, StandInServer
from incident.store import Store
from tests.test_cli import incident


def test_doctor_says_a_failing_poll_fails_and_lists_quarantined_alerts(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    store = Store(f"sqlite:///{db}")
    with store.session() as session:
        bad = [rejected({"labels": {"service": "cart"}}, "alerts[0].labels.alertname: missing")]
        assert quarantine(session, bad, source="alertmanager", channel="poll", now=datetime.now(UTC)) == 1
        assert quarantine(session, bad, source="alertmanager", channel="poll", now=datetime.now(UTC)) == 0
    store.close()
    server = StandInServer()
    server.route("GET", "/api/v2/status", lambda _: {"versionInfo": {"version": "0.25.0"}, "cluster": {}})
    server.route("GET", "/api/v2/alerts", lambda _: Response(500, "alerts[0].labels.alertname: missing"))
    cfg = tmp_path / "c.toml"
    with server:
        cfg.write_text(
            f'[store]\nurl = "sqlite:///{db}"\n[alertmanager]\nurl = "{server.url}"\n[kubernetes]\nenabled = false\n'
        )
        out = incident("--config", str(cfg), "doctor", timeout=60)
    assert out.returncode == 1, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    [am] = [line for line in lines if line.split()[1:2] == ["alertmanager:"]]
    assert am.startswith("FAIL") and "polling alerts fails" in am
    at = next(i for i, line in enumerate(lines) if line.startswith("warn alerts:"))
    assert "1 alert(s) quarantined" in lines[at]
    assert "alertmanager poll" in lines[at + 1] and "alertname: missing" in lines[at + 1]


# --------------------------------------------------------------------------- the read doctor and the TUI share


def test_recent_counts_all_returns_the_newest_first_up_to_the_limit(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")
    start = datetime(2026, 1, 13, 14, 0, tzinfo=UTC)
    with store.session() as session:
        for minute in (3, 1, 4, 2, 5):  # stored out of time order: newest means received last, not inserted last
            bad = [rejected({"labels": {"alertname": f"A{minute}"}}, f"reason {minute}")]
            quarantine(session, bad, source="alertmanager", channel="poll", now=start + timedelta(minutes=minute))
    with store.session() as session:
        total, rows = recent(session, limit=3)
        assert total == 5
        assert [r.reason for r in rows] == ["reason 5", "reason 4", "reason 3"]
        assert [r.labels for r in rows] == ["alertname=A5", "alertname=A4", "alertname=A3"]
        assert recent(session, limit=0) == (5, [])
        lines = doctor_lines(session, limit=2)
    assert "[alertname=A5]: reason 5" in lines[1] and lines[-1].strip() == "... and 3 older"
    store.close()


def test_views_escape_hostile_text_and_cut_huge_payloads(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")
    now = datetime(2026, 1, 13, 14, 0, tzinfo=UTC)
    many = {
        "labels": {"alertname": "Many", "service": "x" * 500},
        "annotations": {f"k{i}": "v" * 90 for i in range(200)},
    }
    long_value = {"labels": {"alertname": "Long"}, "annotations": {"description": "d" * 20_000}}
    hostile = {"labels": {"alertname": "Evil\x00\x1b[2J\udc80", "service": "cart\nnext"}}
    deep = "[" * 20_000 + "]" * 20_000  # valid JSON nested too deep to decode
    with store.session() as session:
        quarantine(session, [rejected(many, "many")], source="alertmanager", channel="webhook", now=now)
        quarantine(session, [rejected(long_value, "long")], source="alertmanager", channel="webhook", now=now)
        quarantine(
            session, [rejected(hostile, "bad\x00 [bold]reason\x7f")], source="alertmanager", channel="poll", now=now
        )
        session.add(
            QuarantinedAlert(received_at=now, source="alertmanager", channel="webhook", reason="deep", raw=deep)
        )
        cut = '{"labels": {"alertname": "' + "c" * QUARANTINE_RAW_MAX
        session.add(
            QuarantinedAlert(
                received_at=now, source="alertmanager", channel="webhook", reason="cut", raw=cut[:QUARANTINE_RAW_MAX]
            )
        )
    with store.session() as session:
        rows = {r.reason.split()[0]: r for r in recent(session, limit=10)[1]}
    store.close()

    assert len(rows["many"].raw) < RAW_SHOWN + 100 and "more characters (quarantined_alerts id" in rows["many"].raw
    assert rows["many"].labels.startswith("alertname=Many service=xxx") and rows["many"].labels.endswith("\u2026")
    assert len(rows["many"].labels) <= len("alertname=Many service=") + LABEL_SHOWN

    long_raw = rows["long"].raw
    assert "d" * VALUE_SHOWN + "... (19,000 more characters)" in long_raw and '"alertname": "Long"' in long_raw

    evil = rows["bad\\u0000"]
    assert evil.reason == "bad\\u0000 [bold]reason\\u007f"
    assert evil.labels == "alertname=Evil\\u0000\\u001b[2J\\udc80 service=cart\\u000anext"
    assert all(c.isprintable() or c == "\n" for r in rows.values() for c in r.raw + r.reason + r.labels)

    assert rows["deep"].raw.startswith("[[[") and len(rows["deep"].raw) < RAW_SHOWN + 100
    assert rows["cut"].raw.endswith(f"(kept cut at {QUARANTINE_RAW_MAX:,} characters when quarantined)")
