"""The whole secret corpus planted where an incident's data comes from (container logs, alert
annotations and labels, Deployment env) and in what the model itself sends back (a tool input):
the agent investigates through the real SDK, tools and Kubernetes stand-in, and no request the
Messages stand-in receives (the agent's steps, the judge's call) carries a value."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from connectors.catalog.backstage import build_catalog
from connectors.kubernetes import KubernetesConnector
from incident.agent import run_agent
from incident.config import Settings
from incident.hypotheses import Evidence, HypothesisDraft
from incident.models import Incident
from incident.registry import Connectors
from incident.sandbox.anthropic import MessagesStandIn, Reply, text, tool_use
from incident.sandbox.kubernetes import KubernetesStandIn
from incident.scenario import load_scenario
from incident.store import Store
from incident.timeline import log_event
from tests.agent.test_redaction_corpus import CORPUS, leaked
from tests.conftest import SCENARIOS

SCENARIO = SCENARIOS / "payments-crashloop-config"
POD, NS, CONTAINER = "payments-9ffn7xgtvh-mjdlb", "shop", "payments"
ENV_SECRETS = {"DB_PASSWORD": "EnvDbPw-55x", "PAYMENT_GATEWAY_KEY": "EnvGwKey-66y", "SMTP_AUTH_TOKEN": "EnvSmtp-77z"}


def _with_env(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The scenario's objects, the payments Deployment's containers given literal secret env values."""
    out = copy.deepcopy(objects)
    for obj in out:
        if obj.get("kind") == "Deployment" and obj["metadata"]["name"] == "payments":
            for container in obj["spec"]["template"]["spec"]["containers"]:
                container["env"] = [
                    *container.get("env", []),
                    *({"name": k, "value": v} for k, v in ENV_SECRETS.items()),
                ]
    return out


@pytest.fixture
def cluster() -> Iterator[tuple[Connectors, Any]]:
    scenario = load_scenario(SCENARIO)
    log = "\n".join(f"2025-12-02 19:16:{i % 60:02d} DEBUG {line}" for i, (_, line, _) in enumerate(CORPUS))
    k8s = KubernetesStandIn(
        objects=_with_env(scenario.kubernetes), page_at=scenario.page_at, logs={(NS, POD, CONTAINER, True): log}
    )
    k8s.start()
    settings = Settings.model_validate(
        {"kubernetes": k8s.connector_config(), "catalog": {"dirs": [str(SCENARIO / "catalog")]}}
    )
    connector = KubernetesConnector(settings.kubernetes)
    yield Connectors(kubernetes=connector, catalog=build_catalog(settings.catalog)), scenario.page_at
    connector.close()
    k8s.stop()


def test_no_planted_secret_reaches_the_model(store: Store, cluster: tuple[Connectors, Any]) -> None:
    connectors, page = cluster
    annotations = {f"note_{i}": line for i, (_, line, _) in enumerate(CORPUS[: len(CORPUS) // 2])}
    labels = {f"label_{i}": line for i, (_, line, _) in enumerate(CORPUS[len(CORPUS) // 2 :])}
    with store.session() as s:
        incident = Incident(
            dedup_key="alertmanager:payments:fp1",
            source="alertmanager",
            title="PaymentsCrashLooping",
            component="payments",
            namespace=NS,
            page_at=page,
        )
        s.add(incident)
        s.flush()
        iid = incident.id
        alert = log_event(
            s,
            incident_id=iid,
            kind="alert",
            key="alert/fp1",
            at=page - timedelta(minutes=2),
            source="alertmanager",
            component="payments",
            summary="PaymentsCrashLooping firing on payments",
            details={"annotations": annotations, "labels": labels},
        )
    logs_call = {"namespace": NS, "pod": POD, "container": CONTAINER, "previous": True, "tail": 300}
    echoed = {**logs_call, "contains": "password=hunter2-very-secret"}  # a tool input carrying a secret
    answer = {
        "hypotheses": [
            {
                "kind": "crashloop",
                "component": "payments",
                "confidence": 0.7,
                "summary": "payments crash-looping",
                "evidence": [{"ref": alert, "note": "seen"}],
                "refutation": "pods stay ready",
            }
        ]
    }
    verdicts = {"verdicts": [{"index": 1, "supported": True, "reason": "the alert"}]}
    script: list[Reply] = [
        tool_use(("pod_logs", logs_call), ("rollout_history", {"component": "payments", "namespace": NS})),
        tool_use(("pod_logs", echoed)),
        text(json.dumps(answer)),
        text(json.dumps(verdicts)),
    ]
    messages = MessagesStandIn(script)
    messages.start()
    try:
        settings = Settings.model_validate(
            {
                "agent": {"api_key": "k", "base_url": messages.url, "max_retries": 0, "timeout": "10s"},
                "catalog": {"dirs": [str(SCENARIO / "catalog")]},
            }
        )
        analyzer = [
            HypothesisDraft(
                kind="crashloop", component="payments", confidence=0.6, summary="crash", evidence=[Evidence(ref=alert)]
            )
        ]
        outcome = run_agent(
            settings=settings, store=store, connectors=connectors, incident_id=iid, analyzer_drafts=analyzer
        )
        assert not outcome.fallback and len(messages.raw_bodies) == 4
        sent = "\n".join(messages.raw_bodies)
        assert "EnvDbPw" not in sent and "DB_PASSWORD" in sent  # the env key is there, its value is not
        assert "hunter2-very-secret" not in json.dumps(messages.bodies[2]["messages"][3])  # the echoed tool input
        leaks = [name for name, _, secret in CORPUS if leaked(messages, secret)]
        leaks += [name for name, secret in ENV_SECRETS.items() if leaked(messages, secret)]
        assert leaks == []
    finally:
        messages.stop()
