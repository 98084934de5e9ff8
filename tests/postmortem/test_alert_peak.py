"""The error ratio a paging alert reported sets a floor on the postmortem's peak error ratio."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incident.models import Alert
from incident.postmortem.alert_peak import alert_ratio, floor_peak
from incident.postmortem.model import Figure

AT = datetime(2025, 11, 4, 9, 42, tzinfo=UTC)


def alert(description: str, *, name: str = "HighErrorRatio", component: str = "cart", **annotations: str) -> Alert:
    return Alert(
        source="alertmanager",
        fingerprint="fp",
        name=name,
        status="firing",
        component=component,
        labels={"alertname": name},
        annotations={
            "summary": f"{component}: more than 5% of requests fail",
            "description": description,
            **annotations,
        },
        starts_at=AT,
    )


def stored(value: float) -> Figure:
    return Figure(
        component="cart",
        signal="error_ratio",
        value=value,
        at=AT - timedelta(minutes=1),
        text=f"{value * 100:.3g}%",
        label="error ratio",
    )


def test_value_and_threshold_are_read_from_the_description() -> None:
    said = alert_ratio(alert("7.4% of cart requests returned 5xx over the last 5 minutes (threshold 5%)."))
    assert said is not None
    assert (said.value, said.threshold) == pytest.approx((0.074, 0.05))


def test_value_and_threshold_annotations_win_over_the_text() -> None:
    said = alert_ratio(alert("requests fail", value="0.081", threshold="6%"))
    assert said is not None and (said.value, said.threshold) == pytest.approx((0.081, 0.06))


def test_a_stored_peak_below_the_alert_is_raised_to_what_the_alert_reported() -> None:
    peak = floor_peak(stored(0.0447), [alert("7.4% of cart requests returned 5xx (threshold 5%).")], ["cart"])
    assert peak is not None
    assert peak.value == pytest.approx(0.074) and peak.at == AT
    assert peak.text.startswith("7.4% (as HighErrorRatio reported") and "4.47%" in peak.text


def test_with_only_a_threshold_the_peak_is_at_least_the_threshold() -> None:
    peak = floor_peak(None, [alert("cart requests fail above the threshold of 5%", name="CartErrors")], ["cart"])
    assert peak is not None and peak.value == pytest.approx(0.05) and peak.text.startswith("at least 5%")


def test_a_higher_stored_peak_stays_and_other_alerts_set_no_floor() -> None:
    between = stored(0.06)  # at or above the threshold that fired: the stored series stands
    assert floor_peak(between, [alert("7.4% of cart requests returned 5xx (threshold 5%).")], ["cart"]) is between
    high = stored(0.2)
    assert floor_peak(high, [alert("7.4% of cart requests returned 5xx (threshold 5%).")], ["cart"]) is high
    low = stored(0.01)
    latency = alert("p99 latency of cart is 1.31s (threshold 1s).", name="HighLatency")
    latency.annotations = {"description": latency.annotations["description"], "summary": "cart: p99 above 1s"}
    cpu = alert("61% throttling of CPU (threshold 25%).", name="CPUThrottlingHigh")
    cpu.annotations = {"description": cpu.annotations["description"], "summary": "CPU throttled"}
    elsewhere = alert("9% of search requests returned 5xx (threshold 5%).", component="search")
    assert floor_peak(low, [latency, cpu, elsewhere], ["cart"]) is low
