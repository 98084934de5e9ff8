"""The agent in the watcher's pipeline: after the analyzer, once per incident, judged, and shown."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from incident import service
from incident.config import load_settings
from incident.hypotheses import ranked
from incident.registry import build_connectors
from incident.sandbox.anthropic import MessagesStandIn, text
from incident.sandbox.runner import Sandbox
from incident.scenario import load_scenario
from incident.store import Store
from incident.watcher import Watcher
from tests.conftest import SCENARIOS


def scripted(body: dict[str, Any]) -> dict[str, Any]:
    """Investigator: answer at once citing the first timeline event id it was shown.
    Judge: support everything."""
    prompt = json.dumps(body.get("messages", []))
    if "verdicts" in json.dumps(body.get("system", "")) or "verdict" in prompt:
        return text(json.dumps({"verdicts": [{"index": 0, "supported": True, "reason": "cited alert shows it"}]}))
    ref = re.search(r"ev_[0-9a-f]{24}", prompt)
    assert ref, "the agent was shown no timeline event ids"
    answer = {
        "hypotheses": [
            {
                "kind": "oom",
                "component": "cart",
                "confidence": 0.8,
                "summary": "cart is OOMKilled at its limit",
                "evidence": [{"ref": ref.group(0), "note": "from the timeline"}],
                "refutation": "memory stays low",
            }
        ]
    }
    return text(json.dumps(answer))


def test_agent_runs_once_after_the_analyzer_and_its_judged_answer_is_shown(tmp_path: Path) -> None:
    llm = MessagesStandIn(scripted).start()
    try:
        with Sandbox(load_scenario(SCENARIOS / "cart-oom"), tmp_path / "sb", binaries=False) as box:
            cfg = box.config(store_url=f"sqlite:///{tmp_path / 'a.db'}")
            cfg["agent"] = llm.agent_config() | {"model": "claude-sonnet-4-6"}
            settings = load_settings(overlays=[cfg], user_file=False)
            store = Store(settings.store.url)
            watcher = Watcher(settings, store, build_connectors(settings))
            try:
                watcher.run_once()
                calls = len(llm.bodies)
                watcher.run_once()  # a refresh re-runs the analyzer, not the agent (cost guardrail)
            finally:
                watcher.stop()
        assert calls >= 2 and len(llm.bodies) == calls
        with store.session() as s:
            incident = service.find_by_page(s, source="alertmanager", alert="HighErrorRatio")
            assert incident is not None
            shown = ranked(s, incident.id)
            analyzer = [h for h in shown if h.source == "analyzer"]
        assert shown and shown[0].source == "agent" and analyzer == []
        assert (shown[0].kind, shown[0].component) == ("oom", "cart")
        assert shown[0].steps, "agent hypotheses get runbook steps too"
    finally:
        llm.stop()
