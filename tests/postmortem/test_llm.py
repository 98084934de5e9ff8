"""Claude rewrites the prose through the real ``anthropic`` SDK against the Messages API stand-in;
the deterministic check and the judge remove what the record does not support."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from incident.config import Settings
from incident.models import Postmortem
from incident.postmortem import build_record, write_postmortem
from incident.postmortem.facts import record_facts
from incident.sandbox.anthropic import MessagesStandIn, error, text
from incident.store import Store
from incident.timeline import timeline
from tests.postmortem.conftest import SECRET, TOKEN, section

KEY = "sk-ant-test-0123456789abcdefghijklmnop"
JUDGE_MODEL = "claude-haiku-4-5"


@pytest.fixture(scope="module")
def llm() -> Iterator[MessagesStandIn]:
    with MessagesStandIn() as server:
        yield server


@pytest.fixture
def messages(llm: MessagesStandIn) -> MessagesStandIn:
    return llm.reset()


def settings(messages: MessagesStandIn | None = None, **agent: Any) -> Settings:
    section = {"api_key": KEY, "base_url": messages.url, "max_retries": 0, "timeout": "10s"} if messages else {}
    return Settings(agent={**section, "judge_model": JUDGE_MODEL, **agent})


def fact_ids(store: Store, incident_id: int) -> dict[str, str]:
    """Fact id by the start of its text, as the writer will see them."""
    with store.session() as s:
        facts = record_facts(build_record(s, incident_id, Settings()))
    return {f.text.split(":")[0]: f.id for f in facts}


def is_judge(body: dict[str, Any]) -> bool:
    return "fact checker" in json.dumps(body.get("system"))


def judge_rejecting(*words: str) -> Any:
    """A scripted judge: sentences containing any of ``words`` are unsupported, the rest supported."""

    def reply(body: dict[str, Any]) -> dict[str, Any]:
        prompt = body["messages"][0]["content"]
        verdicts = []
        for m in re.finditer(r"^(\d+)\. \[(\w+)\] (.*) \(cites: ", prompt, re.M):
            bad = any(w in m.group(3) for w in words)
            reason = "not in the facts" if bad else "ok"
            verdicts.append({"index": int(m.group(1)), "supported": not bad, "reason": reason})
        return text(json.dumps({"verdicts": verdicts}))

    return reply


def test_claude_prose_keeps_supported_sentences_and_removes_the_rest(
    store: Store, incident_id: int, messages: MessagesStandIn
) -> None:
    f = fact_ids(store, incident_id)
    incident_fact = next(v for k, v in f.items() if k.startswith("Incident "))
    peak, root = f["Peak error ratio"], f["Root cause"]
    written = {
        "summary": [
            {"text": "Checkout paged at 2026-01-13 14:07:00 UTC with severity critical.", "facts": [incident_fact]},
            {"text": "The error ratio of checkout peaked at 20%.", "facts": [peak]},
            {"text": "The outage cost $40,000 in lost orders.", "facts": [peak]},
            {"text": "Customers were furious about the outage.", "facts": [incident_fact]},
            {"text": "The deploy caused everything.", "facts": ["F999"]},
        ],
        "root_cause": [{"text": f"Revision 8 of checkout caused the errors ({root}).", "facts": [root]}],
        "went_well": [{"text": "Bob confirmed the cause the copilot ranked first.", "facts": [root]}],
        "went_wrong": [],
        "lucky": [{"text": "Luckily it happened when few people shop.", "facts": [incident_fact]}],
    }
    judge = judge_rejecting("furious", "Luckily")
    messages.script = lambda body: judge(body) if is_judge(body) else text(json.dumps(written))

    plain = write_postmortem(store, incident_id, settings(), who="alice").markdown
    result = write_postmortem(store, incident_id, settings(messages), who="alice")
    md = result.markdown

    assert result.mode == "claude"
    summary = section(md, "## Summary")
    assert "Checkout paged at 2026-01-13 14:07:00 UTC with severity critical." in summary
    assert "The error ratio of checkout peaked at 20%." in summary
    for gone in ("40,000", "furious", "caused everything"):
        assert gone not in summary
    assert "Revision 8 of checkout caused the errors." in section(md, "## Root cause and trigger")
    assert "- Bob confirmed the cause the copilot ranked first." in section(md, "## What went well")
    # a section the model left empty, and one whose every sentence was removed: deterministic prose
    assert section(md, "## What went wrong") == section(plain, "## What went wrong")
    assert section(md, "## Where we got lucky") == section(plain, "## Where we got lucky")
    assert any("where we got lucky" not in n and "lucky" in n for n in result.notes)
    # figures, timeline and action items never change
    for heading in ("## Impact", "## Detection", "## Timeline", "## Resolution", "## Action items"):
        assert section(md, heading) == section(plain, heading)

    reasons = {r.text: r.reason for r in result.removed}
    assert reasons["The outage cost $40,000 in lost orders."] == "numbers not in the cited facts: 40,000"
    assert reasons["The deploy caused everything."] == "cites facts that do not exist: F999"
    assert reasons["Customers were furious about the outage."] == "judge: not in the facts"
    assert reasons["Luckily it happened when few people shop."] == "judge: not in the facts"
    assert len(result.removed) == 4
    listed = md[md.index("<!-- claims removed") :]
    assert all(text_ in listed for text_ in reasons) and listed.rstrip().endswith("-->")
    assert "Claude (claude-sonnet-4-6)" in md and f"judge ({JUDGE_MODEL})" in md

    writer_body, judge_body = messages.bodies
    assert writer_body["model"] == "claude-sonnet-4-6" and judge_body["model"] == JUDGE_MODEL
    assert "$40,000" not in judge_body["messages"][0]["content"]  # failed the number check: never judged
    assert "checked the db by hand" in messages.raw_bodies[0]  # the note is among the facts, redacted
    for raw in messages.raw_bodies:
        assert SECRET not in raw and TOKEN not in raw and KEY not in raw
    assert SECRET not in md and TOKEN not in md

    with store.session() as s:
        event = timeline(s, incident_id, kinds=["postmortem"])[0]
        row = s.get(Postmortem, result.postmortem_id)
        assert row is not None and row.mode == "claude" and row.markdown == md
    assert event.details["removed"] == 4 and event.summary == "postmortem draft generated (claude)"


def test_an_unreadable_writer_reply_falls_back_to_the_deterministic_prose(
    store: Store, incident_id: int, messages: MessagesStandIn
) -> None:
    messages.reset([text("Here is your postmortem! Summary: it broke, then it was fixed.")])
    plain = write_postmortem(store, incident_id, settings(), who="alice").markdown
    result = write_postmortem(store, incident_id, settings(messages), who="alice")
    assert result.mode == "deterministic" and len(messages.bodies) == 1  # no judge call
    assert any("unreadable" in n and "no JSON object" in n for n in result.notes)
    assert result.markdown.startswith(plain.rsplit("\n---\n", 1)[0])
    assert "<!-- note: Claude's draft was unreadable" in result.markdown


def test_api_errors_and_budget_fall_back_without_raising(
    store: Store, incident_id: int, messages: MessagesStandIn
) -> None:
    messages.reset([error(529, "overloaded")])
    result = write_postmortem(store, incident_id, settings(messages), who="alice")
    assert result.mode == "deterministic" and any("Claude unavailable" in n for n in result.notes)

    messages.reset([])
    broke = write_postmortem(store, incident_id, settings(messages, max_cost_usd=0.0), who="alice")
    assert broke.mode == "deterministic" and any("max_cost_usd" in n for n in broke.notes)
    off = write_postmortem(store, incident_id, settings(messages), who="alice", use_llm=False)
    assert off.mode == "deterministic" and not off.notes
    assert messages.bodies == []
