"""Label values become identifier columns of 255 characters (severity 32): longer ones are refused
one alert at a time, before any store sees them (PostgreSQL refused them on every retry)."""

from __future__ import annotations

import json

from connectors.alertmanager.webhook import parse_webhook


def notification(*alerts: dict) -> bytes:
    return json.dumps(
        {"version": "4", "status": "firing", "receiver": "r", "groupKey": "g", "alerts": list(alerts)}
    ).encode()


def alert(**labels: str) -> dict:
    return {
        "status": "firing",
        "labels": {"alertname": "HighErrorRatio", **labels},
        "annotations": {},
        "startsAt": "2026-03-01T12:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
    }


def test_over_long_label_values_are_quarantined_and_the_rest_proceeds() -> None:
    parsed = parse_webhook(
        notification(
            alert(service="x" * 300),
            alert(service="cart", severity="s" * 40),
            alert(service="cart", **{"k" * 300: "v"}),
            alert(service="checkout"),
        )
    )
    assert [a.labels["service"] for a in parsed.alerts] == ["checkout"]
    reasons = [r.reason for r in parsed.rejected]
    assert len(reasons) == 3 and all("longer than" in r for r in reasons)


def test_a_long_component_and_fingerprint_still_fit_the_incident_key() -> None:
    from incident.intake import DEDUP_KEY_MAX, dedup_key

    natural = f"alertmanager:{'c' * 255}:{'f' * 255}:1772366400"
    key = dedup_key(natural)
    assert len(key) <= DEDUP_KEY_MAX and key == dedup_key(natural) and key.startswith("alertmanager:sha256:")
    assert dedup_key("alertmanager:cart:abc:1") == "alertmanager:cart:abc:1"


def test_a_quarantined_alerts_own_fingerprint_is_kept_as_text_every_store_takes() -> None:
    """Regression: a fingerprint with a NUL was refused by PostgreSQL when the alert was quarantined."""
    from connectors.alertmanager.webhook import rejected

    bad = rejected({"fingerprint": "ab\x00cd\ud800" + "f" * 400, "labels": {}}, "fingerprint: contains a NUL")
    assert bad.fingerprint is not None and "\x00" not in bad.fingerprint and len(bad.fingerprint) <= 255
    bad.fingerprint.encode("utf-8")
