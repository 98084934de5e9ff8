"""Configuration: nested pydantic-settings sections read from TOML and ``INCIDENT_*`` variables.

Priority, highest first: ``INCIDENT_SECTION__KEY`` environment variables, the TOML file
(``--config FILE`` or the XDG config file), overlays (a scenario's ``config.toml``), defaults.
Invalid config raises one :class:`ConfigError` listing every problem with file and key.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

# Each connector declares its own section; they are re-exported here (``X as X``) for the core.
from connectors.alertmanager.config import AlertmanagerConfig as AlertmanagerConfig
from connectors.catalog.config import CatalogConfig as CatalogConfig
from connectors.common.config import Duration as Duration
from connectors.common.config import Section as Section
from connectors.common.config import parse_duration as parse_duration
from connectors.kubernetes.config import KubernetesConfig as KubernetesConfig
from connectors.pagerduty.config import PagerDutyConfig as PagerDutyConfig
from connectors.prometheus.config import PrometheusConfig as PrometheusConfig
from incident import locations
from incident.errors import ConfigError

DEFAULT_SIGNALS: dict[str, str] = {
    "request_rate": "sum by ({label}) (rate(http_requests_total[5m]))",
    "error_ratio": (
        'sum by ({label}) (rate(http_requests_total{{code=~"5.."}}[5m]))'
        " / sum by ({label}) (rate(http_requests_total[5m]))"
    ),
    "latency_p50": "histogram_quantile(0.5, sum by ({label}, le) (rate(http_request_duration_seconds_bucket[5m])))",
    "latency_p90": "histogram_quantile(0.9, sum by ({label}, le) (rate(http_request_duration_seconds_bucket[5m])))",
    "latency_p99": "histogram_quantile(0.99, sum by ({label}, le) (rate(http_request_duration_seconds_bucket[5m])))",
    "cpu": 'sum by ({label}) (rate(container_cpu_usage_seconds_total{{container!=""}}[5m]))',
    "memory": 'sum by ({label}) (container_memory_working_set_bytes{{container!=""}})',
    "restarts": "sum by ({label}) (kube_pod_container_status_restarts_total)",
}
"""Signals over standard cAdvisor, kube-state-metrics and HTTP-instrumentation names.

``{label}`` is replaced by ``metrics.component_label``. kube-state-metrics and cAdvisor series
carry ``pod``/``namespace`` rather than a service label; clusters that relabel (the common
``service`` or ``app`` label) work as is, others override the signal in config.
"""


class StoreConfig(Section):
    url: str = Field(default_factory=locations.default_database_url)
    """Any SQLAlchemy URL. Default: a SQLite file in the XDG data dir."""


class MetricsConfig(Section):
    component_label: str = "service"
    """Label whose value names the component."""
    step: Duration = timedelta(seconds=60)
    """Range query step."""
    lookback: Duration = timedelta(minutes=60)
    """How far before the page to look."""
    onset_window: Duration = timedelta(minutes=30)
    """Change points are searched from this long before the page on (older shifts are baseline)."""
    signals: dict[str, str] = Field(default_factory=dict)
    """Signal name -> PromQL returning one series per component. Replaces the defaults when set."""

    def effective_signals(self) -> dict[str, str]:
        if self.signals:
            return dict(self.signals)
        return {name: q.format(label=self.component_label) for name, q in DEFAULT_SIGNALS.items()}


class WatcherConfig(Section):
    poll_interval: Duration = timedelta(seconds=30)
    refresh_interval: Duration = timedelta(seconds=60)
    group_window: Duration = timedelta(minutes=10)
    """Alertmanager alerts on one component within this window join one incident."""
    gather_timeout: Duration = timedelta(seconds=15)
    """Per-connector budget for one gathering."""
    deploy_lookback: Duration = timedelta(hours=6)
    event_lookback: Duration = timedelta(hours=1)
    follow_for: Duration = timedelta(hours=6)
    """Refresh windows end at page time + this (or now, whichever is earlier)."""


class ReplayConfig(Section):
    """``[replay]``: written by the sandbox (``Sandbox.config``) for a scenario replay, never by a user."""

    enabled: bool = False
    """Treat each page time as the present: every window ends at the page."""
    clock_offset_seconds: float = 0.0
    """Shift of the copilot's clock (:mod:`incident.clock`) so a replay's approvals and resolution
    land just after the recorded page."""
    prometheus_unavailable: str | None = None
    """Why the sandbox has no Prometheus (e.g. the binary is missing); shown on timelines."""


class WebhooksConfig(Section):
    """The ``incident watch --listen`` endpoint: authentication, limits and timeouts.

    Alertmanager sends ``Authorization: Bearer <token>`` with ``http_config.authorization.credentials``
    and Basic credentials with ``http_config.basic_auth``; either is required when listening beyond
    loopback. PagerDuty deliveries are authenticated by their signature (``[pagerduty] webhook_secret``).
    """

    alertmanager_bearer_token: SecretStr | None = None
    alertmanager_basic_user: str | None = None
    alertmanager_basic_password: SecretStr | None = None
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    """Larger bodies are refused (413) from Content-Length, or while streaming, before parsing."""
    max_json_depth: int = Field(default=32, ge=4, le=1000)
    """Deeper JSON nesting is refused (400) before it is parsed."""
    header_timeout: Duration = timedelta(seconds=10)
    """A connection must deliver a request's headers within this (slow clients are cut off)."""
    body_timeout: Duration = timedelta(seconds=30)
    """Budget for reading one request body (a total, not per read)."""
    keep_alive: Duration = timedelta(seconds=5)
    max_connections: int = Field(default=100, ge=1)
    """Concurrent connections and requests; beyond, new requests are answered 503."""
    backlog: int = Field(default=128, ge=1)
    """Listen backlog of the socket."""
    workers: int = Field(default=8, ge=1, le=64)
    """Threads that validate and commit webhook bodies."""

    @model_validator(mode="after")
    def _basic_pair(self) -> WebhooksConfig:
        if (self.alertmanager_basic_user is None) != (self.alertmanager_basic_password is None):
            raise ValueError("alertmanager_basic_user and alertmanager_basic_password go together")
        return self

    @property
    def alertmanager_auth(self) -> bool:
        return self.alertmanager_bearer_token is not None or self.alertmanager_basic_user is not None


DEFAULT_PRICES: dict[str, dict[str, float]] = {
    "claude-sonnet-4-6": {"input": 3.0, "output": 15.0, "cache_read": 0.30, "cache_write": 3.75},
    "claude-sonnet-4-5": {"input": 3.0, "output": 15.0, "cache_read": 0.30, "cache_write": 3.75},
    "claude-sonnet-4": {"input": 3.0, "output": 15.0, "cache_read": 0.30, "cache_write": 3.75},
    "claude-haiku-4-5": {"input": 1.0, "output": 5.0, "cache_read": 0.10, "cache_write": 1.25},
    "claude-opus-4-5": {"input": 5.0, "output": 25.0, "cache_read": 0.50, "cache_write": 6.25},
    "claude-opus-4-1": {"input": 15.0, "output": 75.0, "cache_read": 1.50, "cache_write": 18.75},
}
"""USD per million tokens (input, output, cache reads, 5-minute cache writes)."""


class ModelPrice(Section):
    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_read: float = Field(default=0.0, ge=0)
    cache_write: float = Field(default=0.0, ge=0)


class AgentConfig(Section):
    enabled: bool = True
    """Run the agent after the analyzer when a key is configured (once per incident)."""
    api_key: SecretStr | None = None
    """Anthropic API key. Unset: ``ANTHROPIC_API_KEY`` when set, else the agent is off (analyzer only)."""
    provider: Literal["anthropic", "bedrock", "vertex"] = "anthropic"
    """Where the Messages API is: Anthropic, or Claude on AWS Bedrock / Google Vertex AI."""
    model: str = "claude-sonnet-4-6"
    judge_model: str | None = None
    """Model of the judge call. Unset: the same as ``model``."""
    base_url: str | None = None
    """Messages API base URL (a proxy, a gateway, the sandbox stand-in). Unset: the SDK's default."""
    aws_region: str | None = None
    vertex_project: str | None = None
    vertex_region: str | None = None
    max_steps: int = Field(default=8, ge=1, le=50)
    """Model calls per investigation, the final answer included; the last one is offered no tools."""
    max_tokens: int = Field(default=60000, ge=1000)
    """Total tokens (input + output, cached included) per incident, judge included."""
    max_cost_usd: float = Field(default=0.50, ge=0)
    max_output_tokens: int = Field(default=4096, ge=256)
    """``max_tokens`` of one Messages call."""
    timeout: Duration = timedelta(seconds=60)
    max_retries: int = Field(default=2, ge=0, le=10)
    """Retries of the SDK on connection errors, 408/409/429 and 5xx."""
    redact_emails: bool = True
    """Mask e-mail addresses in everything sent to the model (credentials are always masked)."""
    prices: dict[str, ModelPrice] = Field(
        default_factory=lambda: {m: ModelPrice(**p) for m, p in DEFAULT_PRICES.items()}
    )
    """Model -> USD per million tokens, merged over the defaults; unknown models cost the dearest known price."""

    @field_validator("prices", mode="before")
    @classmethod
    def _merge_prices(cls, value: Any) -> Any:
        return {**DEFAULT_PRICES, **value} if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _env_key(self) -> AgentConfig:
        if self.api_key is None and self.provider == "anthropic" and os.environ.get("ANTHROPIC_API_KEY"):
            self.api_key = SecretStr(os.environ["ANTHROPIC_API_KEY"])
        return self

    def effective_judge_model(self) -> str:
        return self.judge_model or self.model


class RunbooksConfig(Section):
    dirs: list[str] = Field(default_factory=list)
    """Extra directories of team runbooks (*.md with YAML front matter); ids must be unique."""
    bundled: bool = True
    """Also load the runbooks bundled with the copilot (runbooks/)."""


def action_type_names() -> tuple[str, ...]:
    """The registered action types, from :mod:`incident.actions.types` (imported here when called:
    the registry imports this module)."""
    from incident.actions.types import names

    return names()


class ActionsConfig(Section):
    allowed_types: list[str] = Field(default_factory=lambda: list(action_type_names()))
    """Action types that may be approved; others are shown, marked, and cannot be approved."""
    allowed_namespaces: list[str] = Field(default_factory=lambda: ["*"])
    """Kubernetes namespaces actions may touch (shell-style patterns; ``*``: any)."""
    operator: str | None = None
    """Name recorded as who approved and executed (default: the OS user)."""
    timeout: Duration = timedelta(seconds=30)
    """Budget of one action's dry run and of its execution."""
    silence_max: Duration = timedelta(hours=4)
    """Longest Alertmanager silence that may be approved."""

    @field_validator("allowed_types")
    @classmethod
    def _known_types(cls, value: list[str]) -> list[str]:
        known = action_type_names()
        for name in value:
            if name not in known:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise ValueError(f"unknown action type '{name}'{hint}")
        return value


class TuiConfig(Section):
    theme: str = "textual-dark"
    """Colour theme of the terminal UI: a Textual theme name, e.g. ``textual-light`` for light
    terminals, ``textual-ansi`` to use the terminal's own palette (checked by the UI: the core
    never imports Textual)."""


class SloConfig(Section):
    objective: float = Field(gt=0, lt=1)
    """Share of requests that must succeed, e.g. 0.999."""
    window: Duration = timedelta(days=30)
    """The SLO's rolling window: the error budget is ``(1 - objective) * window``."""


class PostmortemConfig(Section):
    template: str | None = None
    """Path to a team Jinja2 template of the draft. Unset: the bundled one."""
    export_dir: str | None = None
    """Where the TUI export writes ``postmortem-incident-<id>.md``. Unset: the current directory."""
    slos: dict[str, SloConfig] = Field(default_factory=dict)
    """Component -> SLO; the draft then reports the error budget the incident consumed."""
    llm: bool = True
    """Let Claude rewrite the prose sections (checked by the judge) when an agent key is set."""


class Settings(BaseSettings):
    """Every section of the copilot's configuration."""

    model_config = SettingsConfigDict(
        env_prefix="INCIDENT_",
        env_nested_delimiter="__",
        extra="forbid",
        nested_model_default_partial_update=True,
    )

    store: StoreConfig = Field(default_factory=StoreConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    prometheus: PrometheusConfig = Field(default_factory=PrometheusConfig)
    alertmanager: AlertmanagerConfig = Field(default_factory=AlertmanagerConfig)
    pagerduty: PagerDutyConfig = Field(default_factory=PagerDutyConfig)
    kubernetes: KubernetesConfig = Field(default_factory=KubernetesConfig)
    catalog: CatalogConfig = Field(default_factory=CatalogConfig)
    watcher: WatcherConfig = Field(default_factory=WatcherConfig)
    replay: ReplayConfig = Field(default_factory=ReplayConfig)
    webhooks: WebhooksConfig = Field(default_factory=WebhooksConfig)
    runbooks: RunbooksConfig = Field(default_factory=RunbooksConfig)
    agent: AgentConfig = Field(default_factory=AgentConfig)
    actions: ActionsConfig = Field(default_factory=ActionsConfig)
    tui: TuiConfig = Field(default_factory=TuiConfig)
    postmortem: PostmortemConfig = Field(default_factory=PostmortemConfig)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (env_settings, init_settings)


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"{path}: is a directory, not a TOML file") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}): save the file as UTF-8") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def known_keys(model: type[BaseModel] = Settings) -> dict[str, Any]:
    """Nested map of the keys the schema accepts (``None`` for leaves)."""
    out: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        ann = field.annotation
        out[name] = known_keys(ann) if isinstance(ann, type) and issubclass(ann, Section) else None
    return out


def drop_unknown(
    data: dict[str, Any], keys: dict[str, Any] | None = None, prefix: str = ""
) -> tuple[dict[str, Any], list[str]]:
    """Remove keys the schema does not know; return the cleaned dict and their dotted names.

    Used for scenario overlays, which SCENARIOS.md says may carry unknown keys (warned, not fatal).
    """
    keys = known_keys() if keys is None else keys
    cleaned: dict[str, Any] = {}
    dropped: list[str] = []
    for key, value in data.items():
        if key not in keys:
            dropped.append(prefix + key)
            continue
        sub = keys[key]
        if isinstance(sub, dict) and isinstance(value, dict):
            cleaned[key], more = drop_unknown(value, sub, f"{prefix}{key}.")
            dropped.extend(more)
        else:
            cleaned[key] = value
    return cleaned, dropped


def _describe(error: ErrorDetails, source: str) -> str:
    loc = ".".join(str(p) for p in error["loc"])
    msg = error["msg"]
    if error["type"] == "extra_forbidden":
        parent = known_keys()
        for part in error["loc"][:-1]:
            parent = parent.get(str(part)) or {}
        close = difflib.get_close_matches(str(error["loc"][-1]), list(parent), n=1)
        msg = "unknown key" + (f" (did you mean '{close[0]}'?)" if close else "")
    return f"{source}: {loc}: {msg}"


def load_settings(
    path: Path | None = None, *, overlays: list[dict[str, Any]] | None = None, user_file: bool = True
) -> Settings:
    """Load settings from ``path`` (or, with ``user_file``, the XDG config file when it exists),
    overlays and env."""
    data: dict[str, Any] = {}
    source = "defaults"
    for overlay in overlays or []:
        data = deep_merge(data, overlay)
    file = path if path is not None else locations.config_file()
    if path is not None or (user_file and file.exists()):
        data = deep_merge(data, read_toml(file))
        source = str(file)
    try:
        return Settings(**data)
    except ValidationError as exc:
        problems = [_describe(err, source) for err in exc.errors()]
        raise ConfigError("\n".join(problems)) from None


def dump_toml(data: dict[str, Any]) -> str:
    """Render a small nested dict as TOML (strings, numbers, bools, lists of strings)."""
    lines: list[str] = []

    def scalar(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, list):
            return "[" + ", ".join(scalar(x) for x in v) + "]"
        text = str(v).replace("\\", "\\\\").replace('"', '\\"')
        return f'"{text}"'

    def emit(table: dict[str, Any], name: str) -> None:
        leaves = {k: v for k, v in table.items() if not isinstance(v, dict)}
        subs = {k: v for k, v in table.items() if isinstance(v, dict)}
        if name and (leaves or not subs):
            lines.append(f"[{name}]")
            if not leaves:
                lines.append("")
        for k, v in leaves.items():
            key = k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else scalar(k)
            lines.append(f"{key} = {scalar(v)}")
        if name and leaves:
            lines.append("")
        for k, v in subs.items():
            emit(v, f"{name}.{k}" if name else k)

    emit(data, "")
    return "\n".join(lines).strip() + "\n"
