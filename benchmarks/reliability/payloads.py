"""Hypothesis strategies for webhook payloads, each tagged with what a correct listener owes it.

A :class:`Payload` carries the raw body, its headers and the store keys it must produce when it is
acknowledged: Alertmanager alerts by ``(fingerprint, startsAt)``, PagerDuty incidents by id. Hostile
payloads (malformed, huge, deeply nested, invalid UTF-8, lone surrogates, NUL, out-of-range dates)
owe nothing but a non-5xx answer; a valid alert riding in a batch next to a hostile one is still owed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from connectors.pagerduty.webhook import SIGNATURE_HEADER, sign

JSON_HEADERS = {"content-type": "application/json"}
ALERTMANAGER_KINDS = ["valid", "mixed", "malformed", "huge", "nested", "utf8", "surrogate"]
PAGERDUTY_KINDS = ["valid", "unsigned", "malformed", "huge", "nested", "utf8", "surrogate", "date", "long_ids"]
SERVICES = ["checkout", "payments", "cart", "search", "ledger", "auth"]
HOSTILE_TEXT = ["\ud800", "a\udfffb", "nul\x00byte", "\x00"]
"""Lone surrogates (valid JSON escapes, invalid Unicode) and NUL, which PostgreSQL text refuses."""
OUT_OF_RANGE = ["99999-01-01T00:00:00Z", "0000-00-00T00:00:00Z", "2026-13-45T25:61:00Z", "+275760-09-13T00:00:00Z"]


@dataclass
class Payload:
    kind: str
    body: bytes
    headers: dict[str, str]
    alerts: list[tuple[str, str]] = field(default_factory=list)
    """Alertmanager (fingerprint, startsAt) owed to the store when acknowledged."""
    incidents: list[str] = field(default_factory=list)
    """PagerDuty incident ids owed to the store when acknowledged."""


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# the utf-8 codec leaves out surrogates; hostile text is planted on purpose elsewhere
_label_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)
_moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda d: d.replace(microsecond=0, tzinfo=UTC)
)


@st.composite
def valid_alert(draw: st.DrawFn) -> dict[str, Any]:
    """A firing alert with a fingerprint of its own (unique per example, stable under replay)."""
    nonce = draw(st.uuids()).hex
    starts = _stamp(draw(_moments))
    extra = draw(st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_]{0,15}", fullmatch=True), _label_text, max_size=4))
    labels = {
        **extra,
        "alertname": draw(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,30}", fullmatch=True)),
        "service": draw(st.sampled_from(SERVICES)),
        "nonce": nonce,
    }
    return {
        "status": "firing",
        "labels": labels,
        "annotations": draw(st.dictionaries(st.sampled_from(["summary", "description", "runbook"]), _label_text)),
        "startsAt": starts,
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prom/graph",
        "fingerprint": hashlib.sha256(f"{nonce}{starts}".encode()).hexdigest()[:16],
    }


@st.composite
def hostile_alert(draw: st.DrawFn) -> dict[str, Any]:
    alert = draw(valid_alert())
    flaw = draw(
        st.sampled_from(["no_alertname", "surrogate", "nul", "date", "nested", "not_object", "no_labels", "long"])
    )
    if flaw == "long":  # longer than the store's columns
        length = draw(st.sampled_from([256, 1_000, 100_000]))
        key = draw(st.sampled_from(["fingerprint", "service", "alertname"]))
        if key == "fingerprint":
            alert["fingerprint"] = "L" * length
        else:
            alert["labels"][key] = "L" * length
    elif flaw == "no_alertname":
        del alert["labels"]["alertname"]
    elif flaw in ("surrogate", "nul"):
        where = draw(st.sampled_from(["label", "annotation", "fingerprint", "label_key"]))
        text = draw(st.sampled_from(HOSTILE_TEXT[:2] if flaw == "surrogate" else HOSTILE_TEXT[2:]))
        if where == "label":
            alert["labels"]["service"] = text
        elif where == "label_key":
            alert["labels"][text] = "x"
        elif where == "annotation":
            alert["annotations"]["summary"] = text
        else:
            alert["fingerprint"] = text
    elif flaw == "date":
        alert[draw(st.sampled_from(["startsAt", "endsAt"]))] = draw(st.sampled_from(OUT_OF_RANGE))
    elif flaw == "nested":
        alert["labels"]["service"] = {"deep": [1, {"x": None}]}
    elif flaw == "not_object":
        return draw(st.sampled_from([[], "alert", 7, None]))  # type: ignore[no-any-return]
    else:
        alert["labels"] = None
    return alert


def _notification(alerts: list[Any]) -> dict[str, Any]:
    return {
        "version": "4",
        "status": "firing",
        "receiver": "oncall",
        "groupKey": "{}:{}",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://am",
        "truncatedAlerts": 0,
        "alerts": alerts,
    }


def _owed(alerts: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(a["fingerprint"], a["startsAt"]) for a in alerts]


@st.composite
def alertmanager_payload(draw: st.DrawFn, *, kind: str, max_body: int) -> Payload:
    good = draw(st.lists(valid_alert(), min_size=1, max_size=4))
    if kind == "valid":
        return Payload(kind, json.dumps(_notification(good)).encode(), JSON_HEADERS, alerts=_owed(good))
    if kind == "mixed":
        bad = draw(st.lists(hostile_alert(), min_size=1, max_size=2))
        batch = draw(st.permutations([*good, *bad]))
        return Payload(kind, json.dumps(_notification(batch)).encode(), JSON_HEADERS, alerts=_owed(good))
    return Payload(kind, _hostile_body(draw, kind, _notification(good), max_body), JSON_HEADERS)


def _hostile_body(draw: st.DrawFn, kind: str, document: dict[str, Any], max_body: int) -> bytes:
    """A body no endpoint may accept as a valid delivery (or one whose whole content is broken)."""
    if kind == "malformed":
        return draw(
            st.one_of(
                st.binary(max_size=200),
                st.recursive(
                    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=20,
                ).map(lambda v: json.dumps(v).encode()),
                st.just(json.dumps(document).encode()[: draw(st.integers(0, 60))]),
            )
        )
    if kind == "huge":
        pad = "x" * (max_body + draw(st.integers(1, 4096)))
        return json.dumps({**document, "padding": pad}).encode()
    if kind == "nested":
        depth = draw(st.sampled_from([33, 100, 1_000, 100_000, 1_000_000]))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        return (opener * depth + "1" + closer * depth).encode()
    if kind == "utf8":
        raw = json.dumps(document).encode()
        cut = draw(st.integers(0, len(raw)))
        junk = draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]))
        return raw[:cut] + junk + raw[cut:]
    # surrogate: a lone surrogate written raw (CESU-style) into the top-level receiver
    return json.dumps({**document, "receiver": draw(st.sampled_from(HOSTILE_TEXT))}).encode()


@st.composite
def pagerduty_payload(draw: st.DrawFn, *, kind: str, secret: str, max_body: int) -> Payload:
    incident = f"Q{draw(st.uuids()).hex[:12].upper()}"
    occurred = _stamp(draw(_moments))
    document: dict[str, Any] = {
        "event": {
            "id": f"01{draw(st.uuids()).hex.upper()}",
            "event_type": "incident.triggered",
            "resource_type": "incident",
            "occurred_at": occurred,
            "agent": None,
            "data": {
                "id": incident,
                "type": "incident",
                "title": draw(_label_text) or "untitled",
                "status": "triggered",
                "number": draw(st.integers(1, 10**6)),
                "service": {"id": "PSVC1", "summary": draw(st.sampled_from(SERVICES)), "type": "service_reference"},
                "created_at": occurred,
            },
        }
    }
    if kind == "valid":
        body = json.dumps(document).encode()
        return Payload(kind, body, signed(body, secret), incidents=[incident])
    if kind == "unsigned":
        body = json.dumps(document).encode()
        forged = draw(st.sampled_from([None, "v1=00", sign(body, secret + "x"), "garbage"]))
        return Payload(kind, body, JSON_HEADERS if forged is None else {**JSON_HEADERS, SIGNATURE_HEADER: forged})
    if kind == "date":
        field_name = draw(st.sampled_from(["occurred_at", "created_at"]))
        target = document["event"] if field_name == "occurred_at" else document["event"]["data"]
        target[field_name] = draw(st.sampled_from(OUT_OF_RANGE))
        body = json.dumps(document).encode()
        return Payload(kind, body, signed(body, secret))
    if kind == "long_ids":  # longer than the store's columns: refused, or stored whole
        length = draw(st.sampled_from([65, 246, 256, 1_000, 100_000]))
        where = draw(st.sampled_from(["incident", "service", "event", "title"]))
        long_id = "Q" * length
        if where == "incident":
            document["event"]["data"]["id"] = long_id
        elif where == "service":
            document["event"]["data"]["service"]["id"] = long_id
        elif where == "event":
            document["event"]["id"] = long_id
        else:
            document["event"]["data"]["title"] = long_id
        body = json.dumps(document).encode()
        owed = [document["event"]["data"]["id"]] if where in ("event", "title") else []
        return Payload(kind, body, signed(body, secret), incidents=owed)
    if kind == "surrogate":
        where = draw(st.sampled_from(["id", "title", "event_id"]))
        text = draw(st.sampled_from(HOSTILE_TEXT))
        if where == "event_id":
            document["event"]["id"] = text
        else:
            document["event"]["data"][where] = text
        body = json.dumps(document).encode()
        return Payload(kind, body, signed(body, secret))
    body = _hostile_body(draw, kind, document, max_body)
    return Payload(kind, body, signed(body, secret))


def signed(body: bytes, secret: str) -> dict[str, str]:
    return {**JSON_HEADERS, SIGNATURE_HEADER: sign(body, secret)}
