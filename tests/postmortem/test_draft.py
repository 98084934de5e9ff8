"""Postmortem draft of a replayed incident with an executed rollback: sections, figures equal to the
store, UTC times, owners from the catalog, determinism, the CLI, team templates, SLO burn."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from incident import service
from incident.actions import approve, execute, sync_proposals
from incident.changepoints import format_value
from incident.cli import app
from incident.config import Settings, load_settings
from incident.errors import ConfigError
from incident.feedback import set_verdict
from incident.hypotheses import ranked
from incident.models import Action, Component, IncidentStatus, MetricWindow, Postmortem, TimelineEvent
from incident.pins import toggle_pin
from incident.postmortem import build_record, write_postmortem
from incident.postmortem.fmt import duration, utc
from incident.postmortem.metrics import points_in
from incident.registry import build_connectors
from incident.sandbox.runner import Sandbox
from incident.scenario import load_scenario
from incident.store import Store
from incident.timeline import log_event, timeline
from incident.watcher import Watcher
from tests.conftest import SCENARIOS, needs_alertmanager
from tests.postmortem.conftest import section

HEADINGS = [
    "## Summary",
    "## Impact",
    "## Detection",
    "## Timeline",
    "## Root cause and trigger",
    "## Resolution",
    "## What went well",
    "## What went wrong",
    "## Where we got lucky",
    "## Action items",
]
ACK_AFTER = timedelta(minutes=3)


@dataclass
class Replay:
    store: Store
    db: Path
    incident_id: int
    pinned_event: str
    undo_id: str

    def settings(self, **postmortem: object) -> Settings:
        return load_settings(
            overlays=[{"store": {"url": f"sqlite:///{self.db}"}, "postmortem": postmortem}], user_file=False
        )


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replay]:
    """checkout-bad-deploy replayed once: page, acknowledged 3 minutes later, rollback approved and
    executed by alice, resolved; bob confirms the top hypothesis, carol pins a pod event, dave adds a note."""
    tmp = tmp_path_factory.mktemp("replay")
    scenario = load_scenario(SCENARIOS / "checkout-bad-deploy")
    page = scenario.spec.page
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("ANTHROPIC_API_KEY", raising=False)
        with Sandbox(scenario, tmp / "sb") as box:
            settings = load_settings(overlays=[box.config(store_url=f"sqlite:///{tmp / 's.db'}")], user_file=False)
            store = Store(settings.store.url)
            connectors = build_connectors(settings)
            watcher = Watcher(settings, store, connectors)
            try:
                watcher.run_once()
                with store.session() as s:
                    incident = service.find_by_page(s, source=page.source, alert=page.alert)
                    assert incident is not None
                    service.set_status(
                        s,
                        incident=incident,
                        status=IncidentStatus.acknowledged,
                        at=incident.page_at + ACK_AFTER,
                        reason="acknowledged by bob",
                        source="pagerduty",
                    )
                    actions = sync_proposals(s, incident_id=incident.id, settings=settings)
                    iid = incident.id
                undo = next(a for a in actions if a.type == "kubernetes.rollout_undo")
                approve(store, action_id=undo.id, who="alice")
                done = execute(store, action_id=undo.id, connectors=connectors, settings=settings, who="alice")
                assert done.status == "succeeded", done.error
                for _ in range(settings.alertmanager.absent_polls):  # resolved at its source, or absent long enough
                    watcher.run_once()
            finally:
                watcher.stop()
    with store.session() as s:
        assert service.get(s, incident_id=iid).status == "resolved"  # type: ignore[union-attr]
        top = ranked(s, iid)[0]
        set_verdict(s, top.id, "confirmed", who="bob", note="promotions engine of 2.15.0")
        pod = next(e for e in timeline(s, iid, kinds=["pod_state"]) if e.component == "checkout")
        toggle_pin(s, iid, pod.id, who="carol")
        log_event(
            s,
            incident_id=iid,
            kind="note",
            key="note/dave/1",
            at=pod.at,
            source="dave",
            summary="promotions rules refresh lines up with the first errors",
        )
    yield Replay(store, tmp / "s.db", iid, pod.id, undo.id)
    store.close()


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)


@pytest.fixture(scope="module")
def draft(replay: Replay) -> str:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("ANTHROPIC_API_KEY", raising=False)
        return write_postmortem(replay.store, replay.incident_id, replay.settings(), who="alice").markdown


pytestmark = needs_alertmanager


def test_every_section_is_there_in_order(draft: str) -> None:
    assert draft.startswith("# Postmortem: checkout: more than 5% of requests fail\n")
    positions = [draft.index(h + "\n") for h in HEADINGS]
    assert positions == sorted(positions)
    for label in ("Date", "Status", "Authors", "Incident id", "Severity", "Component", "Owner"):
        assert f"- **{label}:** " in draft.split("## Summary")[0]
    assert "deterministic" in draft.rstrip().splitlines()[-1]
    for heading in HEADINGS:
        assert section(draft, heading).strip(), heading


def test_facts_block_and_authors_come_from_the_store(draft: str, replay: Replay) -> None:
    with replay.store.session() as s:
        incident = service.get(s, incident_id=replay.incident_id)
        assert incident is not None
        head = draft.split("## Summary")[0]
        assert f"- **Date:** {incident.page_at:%Y-%m-%d}\n" in head
        assert f"- **Incident id:** {incident.id}\n" in head
        assert f"- **Severity:** {incident.severity}\n" in head
        assert f"- **Owner:** {incident.owner}\n" in head
    # approver/executor, verdict, note, pin: each person once, in the order they took part
    assert "- **Authors:** alice, bob, dave, carol\n" in head


def test_figures_equal_the_stored_record(draft: str, replay: Replay) -> None:
    with replay.store.session() as s:
        incident = service.get(s, incident_id=replay.incident_id)
        assert incident is not None and incident.resolved_at and incident.acknowledged_at
        page, resolved, acked = incident.page_at, incident.resolved_at, incident.acknowledged_at
        onset_event = min(
            (
                e
                for e in timeline(s, incident.id, kinds=["metric_change"])
                if e.component == "checkout" and e.details["signal"] in ("error_ratio", "latency_p99")
            ),
            key=lambda e: e.at,
        )
        window = s.scalar(
            select(MetricWindow).where(
                MetricWindow.incident_id == incident.id,
                MetricWindow.component == "checkout",
                MetricWindow.signal == "error_ratio",
            )
        )
        assert window is not None
        in_range = [(t, v) for t, v in points_in(window, onset_event.at, resolved)]
        action = s.get(Action, replay.undo_id)
        assert action is not None
        approved_at, approver, title = action.approved_at, action.approved_by, action.title
    peak_at, peak_value = max(in_range, key=lambda p: (p[1], -p[0].timestamp()))

    impact = section(draft, "## Impact")
    lasted = duration((resolved - page).total_seconds())
    assert f"- **Duration:** {lasted} (page {utc(page)}, resolved {utc(resolved)})" in impact
    assert f"- **Peak error ratio:** {format_value('error_ratio', peak_value)} on checkout at {utc(peak_at)}" in impact

    detection = section(draft, "## Detection")
    assert f"- **Paged:** {utc(page)}\n" in detection
    assert f"- **Time to acknowledge:** {duration(ACK_AFTER.total_seconds())} ({utc(acked)})\n" in detection
    lag = duration((page - onset_event.at).total_seconds())
    assert f"changed at {utc(onset_event.at)} (detection lag {lag})" in detection
    assert acked - page == ACK_AFTER

    resolution = section(draft, "## Resolution")
    assert f"**{title}**" in resolution and f"approved by {approver} at {utc(approved_at)}" in resolution
    assert "succeeded" in resolution

    with replay.store.session() as s:
        rec = build_record(s, replay.incident_id, replay.settings())
    assert rec.duration == (resolved - page).total_seconds()
    assert rec.peak_error is not None and rec.peak_error.value == peak_value
    assert rec.detection.time_to_ack == ACK_AFTER.total_seconds()


def test_timeline_pinned_first_and_every_time_is_the_stored_utc_time(draft: str, replay: Replay) -> None:
    rows = [line for line in section(draft, "## Timeline").splitlines() if line.startswith("- **")]
    assert "(pinned by carol)" in rows[0] and "(pinned" not in "".join(rows[1:])
    with replay.store.session() as s:
        pinned = s.get(TimelineEvent, replay.pinned_event)
        assert pinned is not None and pinned.summary in rows[0]
        rec = build_record(s, replay.incident_id, replay.settings())
        stored = [s.get(TimelineEvent, item.event_id) for item in rec.timeline]
    assert len(rows) == len(stored) > 5
    day = None
    for row, event in zip(rows, stored, strict=True):
        match = re.match(r"- \*\*(?:(\d{4}-\d{2}-\d{2}) )?(\d{2}:\d{2}:\d{2}) UTC\*\*", row)
        assert match, row
        day = match.group(1) or day
        assert event is not None and f"{day} {match.group(2)}" == f"{event.at:%Y-%m-%d %H:%M:%S}"
        assert event.summary.split(":")[0] in row
    chronological = [e.at for e in stored[1:]]
    assert chronological == sorted(chronological)
    kinds = {e.kind for e in stored}
    assert {"deploy", "alert", "incident_state", "action", "metric_change", "note"} <= kinds
    assert any(e.kind == "hypothesis" and e.details.get("verdict") == "confirmed" for e in stored)


def test_root_cause_findings_and_action_items(draft: str, replay: Replay) -> None:
    cause = section(draft, "## Root cause and trigger")
    assert "**deploy_regression on checkout**: confirmed by bob" in cause
    assert "not confirmed" not in cause
    assert "**Trigger:**" in cause and "rolled out revision 8 from" in cause  # 7, or 6 once 7 is re-used by the undo
    assert "error ratio on checkout:" in cause  # the cited metric window, before -> peak
    assert "The copilot's top-ranked hypothesis (deploy_regression on checkout) was the one confirmed." in draft
    assert "acknowledged 3 min after it fired" in section(draft, "## What went well")
    assert "Revision 7 of checkout was still in the rollout history" in section(draft, "## Where we got lucky")
    with replay.store.session() as s:
        owner = s.get(Component, "checkout").owner  # type: ignore[union-attr]
    rows = [line for line in section(draft, "## Action items").splitlines() if line.startswith("| ")][2:]
    items = [[c.strip() for c in row.strip("|").split(" | ")] for row in rows]
    assert ["Fix forward and redeploy checkout; it is pinned at revision 7", "mitigate", owner] in items
    assert ["Gate checkout rollouts on error ratio (canary / automatic rollback)", "prevent", owner] in items
    assert all(i[2] == owner == "team-checkout" for i in items)


def test_generating_twice_gives_the_same_markdown_and_one_timeline_event(replay: Replay) -> None:
    settings = replay.settings()
    first = write_postmortem(replay.store, replay.incident_id, settings, who="alice")
    second = write_postmortem(replay.store, replay.incident_id, settings, who="alice")
    assert first.markdown == second.markdown and first.mode == second.mode == "deterministic"
    with replay.store.session() as s:
        rows = list(s.scalars(select(Postmortem).where(Postmortem.incident_id == replay.incident_id)))
        events = timeline(s, replay.incident_id, kinds=["postmortem"])
    assert {r.id for r in rows} >= {first.postmortem_id, second.postmortem_id}
    assert len(events) == 1 and events[0].summary == "postmortem draft generated (deterministic)"
    assert events[0].details["removed"] == 0


def test_cli_writes_the_file_and_stores_the_row(replay: Replay, tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[store]\nurl = "sqlite:///{replay.db}"\n[actions]\noperator = "erin"\n')
    out = tmp_path / "drafts" / "pm.md"
    result = CliRunner().invoke(app, ["--config", str(cfg), "postmortem", str(replay.incident_id), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"written to {out}" in result.output
    text = out.read_text()
    assert text.startswith("# Postmortem: ") and "## Action items" in text
    with replay.store.session() as s:
        row = s.scalar(select(Postmortem).where(Postmortem.path == str(out)))
        assert row is not None and row.markdown == text and row.who == "erin" and row.mode == "deterministic"
        event = timeline(s, replay.incident_id, kinds=["postmortem"])[0]
        assert event.summary == f"postmortem draft written to {out} (deterministic)"

    printed = CliRunner().invoke(app, ["--config", str(cfg), "postmortem", "latest", "--no-llm"])
    assert printed.exit_code == 0 and printed.output.startswith("# Postmortem: ")

    missing = CliRunner().invoke(app, ["--config", str(cfg), "postmortem", "999"])
    assert missing.exit_code == 1 and "no incident 999" in missing.output


def test_a_team_template_from_config_is_used(replay: Replay, tmp_path: Path) -> None:
    team = tmp_path / "team.md.j2"
    team.write_text(
        "# {{ rec.title }} ({{ rec.date }})\n\nTEAM TEMPLATE lasted {{ rec.duration_text }}\n"
        "{% for i in rec.action_items %}* [ ] {{ i.item }} ({{ i.owner }})\n{% endfor %}"
    )
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[store]\nurl = "sqlite:///{replay.db}"\n[postmortem]\ntemplate = "{team}"\n')
    settings = load_settings(cfg)
    md = write_postmortem(replay.store, replay.incident_id, settings, who="alice").markdown
    assert md.startswith("# checkout: more than 5% of requests fail (2026-01-13)\n")
    assert "TEAM TEMPLATE lasted " in md and "* [ ] Gate checkout rollouts" in md and "## Summary" not in md


@pytest.mark.parametrize(
    ("body", "line", "says"),
    [
        ("# ok\n\n{% for x in rec.timeline %}\n{{ x.summary }\n{% endfor %}\n", 4, "unexpected"),
        ("# {{ rec.title }}\n\n{{ rec.no_such_field }}\n", 3, "no_such_field"),
        ("# {{ rec.title }}\n{{ undefined_name | upper }}\n", 2, "undefined_name"),
        ("# {{ rec.title }}\n\n\n{{ rec.incident_id + 'x' }}\n", 4, "TypeError"),
    ],
)
def test_a_broken_team_template_names_file_and_line(
    replay: Replay, tmp_path: Path, body: str, line: int, says: str
) -> None:
    team = tmp_path / "broken.md.j2"
    team.write_text(body)
    with pytest.raises(ConfigError) as err:
        write_postmortem(replay.store, replay.incident_id, replay.settings(template=str(team)), who="alice")
    assert f"{team}:{line}:" in err.value.message and says in err.value.message
    missing = tmp_path / "nope.md.j2"
    with pytest.raises(ConfigError, match="file not found"):
        write_postmortem(replay.store, replay.incident_id, replay.settings(template=str(missing)), who="alice")


def test_slo_burn_equals_the_hand_computed_value(replay: Replay) -> None:
    settings = replay.settings(slos={"checkout": {"objective": 0.999, "window": "30d"}})
    result = write_postmortem(replay.store, replay.incident_id, settings, who="alice")
    rec = result.record
    with replay.store.session() as s:
        window = s.scalar(
            select(MetricWindow).where(
                MetricWindow.incident_id == replay.incident_id,
                MetricWindow.component == "checkout",
                MetricWindow.signal == "error_ratio",
            )
        )
        assert window is not None
        values = [float(v) for t, v in window.points if rec.impact_start.timestamp() <= t <= rec.impact_end.timestamp()]
        step = window.step_seconds
    budget = 0.001 * 30 * 86400
    expected_share = sum(v * step for v in values) / budget
    assert len(rec.slo) == 1 and rec.slo[0].points == len(values) > 0
    assert rec.slo[0].budget_share == pytest.approx(expected_share, rel=1e-12)
    assert rec.slo[0].peak_burn_rate == pytest.approx(max(values) / 0.001, rel=1e-12)
    assert (
        f"- **SLO of checkout** (99.9% over 30 d): {rec.slo[0].budget_text} of the error budget consumed; "
        f"peak burn rate {rec.slo[0].burn_text}" in section(result.markdown, "## Impact")
    )

