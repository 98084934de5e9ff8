from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from incident.config import dump_toml, load_settings, parse_duration
from incident.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_scenario_metrics_section_is_read_exactly(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[metrics]
component_label = "service"
step = "60s"

[metrics.signals]
cpu = 'avg by (service) (sockshop_cpu)'
error_ratio = '1 - avg by (service) (success_rate)'
""",
    )
    s = load_settings(path)
    assert s.metrics.step == timedelta(seconds=60)
    assert s.metrics.effective_signals() == {
        "cpu": "avg by (service) (sockshop_cpu)",
        "error_ratio": "1 - avg by (service) (success_rate)",
    }


def test_default_signals_use_the_component_label() -> None:
    s = load_settings(overlays=[{"metrics": {"component_label": "app"}}])
    signals = s.metrics.effective_signals()
    assert {"request_rate", "error_ratio", "latency_p99", "cpu", "memory", "restarts"} <= set(signals)
    assert all("by (app" in q for q in signals.values())


def test_env_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[prometheus]\nurl = "http://file:9090"\n[watcher]\npoll_interval = "1m"\n')
    monkeypatch.setenv("INCIDENT_PROMETHEUS__URL", "http://env:9090")
    s = load_settings(path)
    assert s.prometheus.url == "http://env:9090"
    assert s.watcher.poll_interval == timedelta(minutes=1)


def test_every_problem_is_reported_at_once_with_file_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[metrics]\nstpe = "60s"\n[watcher]\npoll_interval = "soon"\n[prometeus]\nurl = "x"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    lines = info.value.message.splitlines()
    assert len(lines) == 3
    assert all(line.startswith(str(path)) for line in lines)
    text = info.value.message
    assert "metrics.stpe: unknown key (did you mean 'step'?)" in text
    assert "watcher.poll_interval" in text and "not a duration" in text
    assert "prometeus: unknown key (did you mean 'prometheus'?)" in text


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[metrics\nstep=1")
    with pytest.raises(ConfigError, match=str(path)):
        load_settings(path)


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.toml")


def test_secrets_never_print(tmp_path: Path) -> None:
    path = write(tmp_path, '[pagerduty]\napi_token = "u+SUPERSECRET"\nwebhook_secret = "whsec-XYZ"\n')
    s = load_settings(path)
    assert s.pagerduty.api_token is not None
    assert s.pagerduty.api_token.get_secret_value() == "u+SUPERSECRET"
    for text in (repr(s), str(s), s.model_dump_json()):
        assert "SUPERSECRET" not in text and "whsec-XYZ" not in text


def test_xdg_config_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg_dir = tmp_path / "xdg" / "incident-copilot"
    cfg_dir.mkdir(parents=True)
    (cfg_dir / "config.toml").write_text('[alertmanager]\nurl = "http://am:9093"\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert load_settings().alertmanager.url == "http://am:9093"
    assert load_settings(user_file=False).alertmanager.url is None


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("90s", 90), ("5m", 300), ("1h", 3600), (2, 2)])
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == seconds


def test_dump_toml_round_trips(tmp_path: Path) -> None:
    data = {
        "metrics": {"component_label": "service", "signals": {"cpu": 'avg(x{a="b"})'}},
        "store": {"url": "u"},
    }
    path = write(tmp_path, dump_toml(data))
    s = load_settings(path)
    assert s.metrics.signals == {"cpu": 'avg(x{a="b"})'}
