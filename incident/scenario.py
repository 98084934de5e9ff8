"""Load a scenario directory (docs/SCENARIOS.md, format v1).

Unknown keys are ignored with a warning, never an error, so scenarios written by other people
load unchanged. ``truth`` is kept apart (:attr:`Scenario.truth`) and is read only by eval.
"""

from __future__ import annotations

import gzip
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from incident.config import drop_unknown, read_toml
from incident.errors import ConfigError, ScenarioError

log = logging.getLogger(__name__)


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow")

    def warn_unknown(self, where: str) -> None:
        for key in self.model_extra or {}:
            log.warning("%s: unknown key %r ignored", where, key)


class Page(_Lenient):
    source: str = "alertmanager"
    at: datetime
    alert: str | None = None

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("page.at needs a time zone (e.g. 2026-01-10T14:05:00Z)")
        return value.astimezone(UTC)

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        if value not in ("alertmanager", "pagerduty"):
            raise ValueError("page.source must be 'alertmanager' or 'pagerduty'")
        return value


class Truth(_Lenient):
    component: str
    kind: str
    also_accept: list[str] = Field(default_factory=list)
    notes: str | None = None


class ScenarioSpec(_Lenient):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    description: str = ""
    page: Page
    component_label: str | None = None
    truth: Truth | None = None


@dataclass
class Scenario:
    """A loaded scenario: the world around one page, plus (separately) its truth."""

    path: Path
    spec: ScenarioSpec
    alerts: list[dict[str, Any]] = field(default_factory=list)
    pagerduty: dict[str, Any] = field(default_factory=dict)
    kubernetes: list[dict[str, Any]] = field(default_factory=list)
    catalog: list[dict[str, Any]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    logs: dict[tuple[str, str, str, bool], Path] = field(default_factory=dict)
    """(namespace, pod, container, previous) -> log file"""
    metrics_path: Path | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def page_at(self) -> datetime:
        return self.spec.page.at

    @property
    def truth(self) -> Truth | None:
        return self.spec.truth

    def config_overlay(self) -> dict[str, Any]:
        """The scenario's config.toml (unknown keys dropped) plus its component_label."""
        overlay = dict(self.config)
        if self.spec.component_label:
            metrics = dict(overlay.get("metrics", {}))
            metrics.setdefault("component_label", self.spec.component_label)
            overlay["metrics"] = metrics
        return overlay

    def read_log(self, namespace: str, pod: str, container: str, previous: bool) -> str | None:
        path = self.logs.get((namespace, pod, container, previous))
        return path.read_text(errors="replace") if path else None

    def metrics_text(self) -> str | None:
        if self.metrics_path is None:
            return None
        raw = self.metrics_path.read_bytes()
        if self.metrics_path.suffix == ".gz":
            raw = gzip.decompress(raw)
        return raw.decode("utf-8", errors="replace")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ScenarioError(f"{path}: {exc}") from exc


def _read_yaml_docs(path: Path) -> list[Any]:
    try:
        return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: {exc}") from exc


def _flatten_k8s(obj: Any, path: Path) -> list[dict[str, Any]]:
    if not isinstance(obj, dict):
        raise ScenarioError(f"{path}: expected a Kubernetes object or List, got {type(obj).__name__}")
    if obj.get("kind", "").endswith("List") and "items" in obj:
        kind = obj["kind"][: -len("List")]
        items = []
        for item in obj["items"] or []:
            if isinstance(item, dict):
                item = dict(item)
                if kind and kind != "" and "kind" not in item:
                    item["kind"] = kind
                if "apiVersion" not in item and obj.get("apiVersion"):
                    item["apiVersion"] = obj["apiVersion"]
                items.append(item)
        return items
    if "kind" not in obj:
        raise ScenarioError(f"{path}: object without 'kind'")
    return [obj]


def is_scenario(path: Path) -> bool:
    return (path / "scenario.yaml").is_file()


def find_scenarios(paths: list[Path]) -> list[Path]:
    """Each path is a scenario or a directory of scenarios (searched one level deep, and one more
    for a directory of such directories, e.g. a dataset's days), sorted."""
    found: list[Path] = []
    for path in paths:
        if is_scenario(path):
            found.append(path)
        elif path.is_dir():
            children = sorted(p for p in path.iterdir() if p.is_dir())
            direct = [p for p in children if is_scenario(p)]
            found.extend(direct or sorted(g for c in children for g in c.iterdir() if is_scenario(g)))
        else:
            raise ScenarioError(f"{path}: not a scenario (no scenario.yaml) and not a directory")
    if paths and not found:
        raise ScenarioError(f"no scenarios (directories with a scenario.yaml) under {', '.join(map(str, paths))}")
    return found


def load_scenario(path: Path | str) -> Scenario:
    """Load and validate ``path``; raise :class:`ScenarioError` naming the file on any problem."""
    root = Path(path)
    spec_file = root / "scenario.yaml"
    if not spec_file.is_file():
        raise ScenarioError(f"{root}: no scenario.yaml")
    docs = _read_yaml_docs(spec_file)
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise ScenarioError(f"{spec_file}: expected one YAML mapping")
    try:
        spec = ScenarioSpec.model_validate(docs[0])
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ScenarioError(f"{spec_file}: {problems}") from None
    spec.warn_unknown(str(spec_file))
    spec.page.warn_unknown(f"{spec_file}: page")
    scenario = Scenario(path=root, spec=spec)

    if (f := root / "alertmanager.json").is_file():
        alerts = _read_json(f)
        if not isinstance(alerts, list):
            raise ScenarioError(f"{f}: expected a JSON list of alerts")
        scenario.alerts = alerts
    if (f := root / "pagerduty.json").is_file():
        data = _read_json(f)
        if not isinstance(data, dict):
            raise ScenarioError(f"{f}: expected a JSON object")
        scenario.pagerduty = data
    if (kdir := root / "kubernetes").is_dir():
        for f in sorted(kdir.rglob("*")):
            if f.suffix == ".json":
                scenario.kubernetes.extend(_flatten_k8s(_read_json(f), f))
            elif f.suffix in (".yaml", ".yml"):
                for doc in _read_yaml_docs(f):
                    scenario.kubernetes.extend(_flatten_k8s(doc, f))
    if (cdir := root / "catalog").is_dir():
        for f in sorted(cdir.rglob("*")):
            if f.suffix in (".yaml", ".yml"):
                scenario.catalog.extend(d for d in _read_yaml_docs(f) if isinstance(d, dict))
    if (ldir := root / "logs").is_dir():
        for f in sorted(ldir.glob("*/*/*.log")):
            ns, pod = f.parent.parent.name, f.parent.name
            previous = f.name.endswith(".previous.log")
            container = f.name[: -len(".previous.log")] if previous else f.name[: -len(".log")]
            scenario.logs[(ns, pod, container, previous)] = f
    for candidate in ("metrics.om", "metrics.om.gz"):
        if (root / candidate).is_file():
            scenario.metrics_path = root / candidate
    if (f := root / "config.toml").is_file():
        try:
            raw = read_toml(f)
        except ConfigError as exc:
            raise ScenarioError(exc.message) from exc
        scenario.config, dropped = drop_unknown(raw)
        for key in dropped:
            log.warning("%s: unknown config key %r ignored", f, key)
    return scenario
