"""Backstage entities from catalog-info.yaml (and any ``backstage.io`` YAML) files in directories.

A broken file becomes a problem naming the file and line, not an exception, so the rest of the
catalog still loads; only when every file fails is that an error. Files are re-read when their
modification time or size changes, so a long-running watcher sees edits without a restart.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import yaml

from connectors.base import CheckResult, ComponentInfo, GroupInfo
from connectors.catalog.entities import parse_entities
from connectors.common.errors import ConnectorDataError, ConnectorError

log = logging.getLogger(__name__)

NAME = "catalog-files"
_SUFFIXES = (".yaml", ".yml")
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _is_entity(doc: Any, *, catalog_info: bool) -> bool:
    if not isinstance(doc, dict):
        return False
    api_version = str(doc.get("apiVersion") or "")
    if api_version.startswith("backstage.io/"):
        return True
    return catalog_info and "kind" in doc and "metadata" in doc


def read_catalog_file(path: Path) -> tuple[list[dict[str, Any]], str | None]:
    """Entity docs of one file, or an error naming file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [], f"{path}: cannot read: {exc}"
    try:
        docs = list(yaml.load_all(text, Loader=_Loader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return [], f"{where}: invalid YAML: {problem}"
    catalog_info = path.name in ("catalog-info.yaml", "catalog-info.yml")
    return [d for d in docs if _is_entity(d, catalog_info=catalog_info)], None


def _stamp(path: Path) -> tuple[str, int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (str(path), -1, -1)
    return (str(path), stat.st_mtime_ns, stat.st_size)


class CatalogFilesConnector:
    """Components and groups from the YAML files under ``dirs`` (searched recursively)."""

    name = NAME

    def __init__(self, dirs: list[str]) -> None:
        self.dirs = [Path(d).expanduser() for d in dirs]
        self._stamp: tuple[tuple[str, int, int], ...] | None = None
        self._components: list[ComponentInfo] = []
        self._groups: list[GroupInfo] = []
        self._problems: list[str] = []
        self._files = 0

    @property
    def problems(self) -> list[str]:
        """What was wrong in the files at the last load (bad YAML, entities without names, ...)."""
        return list(self._problems)

    def files(self) -> list[Path]:
        found: list[Path] = []
        for root in self.dirs:
            if root.is_file():
                found.append(root)
            elif root.is_dir():
                found.extend(sorted(p for p in root.rglob("*") if p.suffix in _SUFFIXES and p.is_file()))
        return found

    def _missing(self) -> list[Path]:
        return [d for d in self.dirs if not d.exists()]

    def load(self) -> None:
        """Read the files again if any changed since the last load; raise when none could be read."""
        missing = self._missing()
        if missing and len(missing) == len(self.dirs):
            raise ConnectorError(f"catalog dir {missing[0]} does not exist", connector=NAME)
        files = self.files()
        stamp = tuple(_stamp(p) for p in files)
        if stamp == self._stamp:
            return
        problems = [f"{d}: catalog dir does not exist" for d in missing]
        components: list[ComponentInfo] = []
        people: list[dict[str, Any]] = []
        failed = 0
        seen: set[str] = set()
        for path in files:
            docs, error = read_catalog_file(path)
            if error:
                failed += 1
                problems.append(error)
                continue
            comps, _, more = parse_entities(docs, source=str(path))
            problems.extend(more)
            people.extend(d for d in docs if str(d.get("kind") or "").lower() in ("group", "user"))
            for comp in comps:
                if comp.name in seen:
                    problems.append(f"{path}: component {comp.name!r} already defined in another file; ignored")
                    continue
                seen.add(comp.name)
                components.append(comp)
        if files and failed == len(files):
            raise ConnectorDataError(
                f"none of {len(files)} catalog files could be read: " + "; ".join(problems[:3]),
                connector=NAME,
            )
        for problem in problems:
            log.warning("%s: %s", NAME, problem)
        # Groups from every file at once: users in one file may be members of a group in another.
        groups = parse_entities(people, source="catalog")[1]
        self._components, self._groups, self._problems = components, groups, problems
        self._files, self._stamp = len(files), stamp

    def snapshot(self) -> tuple[list[ComponentInfo], list[GroupInfo]]:
        """Components and groups from one (cached) read of the files."""
        self.load()
        return list(self._components), list(self._groups)

    def components(self) -> list[ComponentInfo]:
        self.load()
        return list(self._components)

    def groups(self) -> list[GroupInfo]:
        self.load()
        return list(self._groups)

    def check(self) -> CheckResult:
        try:
            self.load()
        except ConnectorError as exc:
            return CheckResult(NAME, False, exc.message)
        if not self._files:
            return CheckResult(NAME, False, "no YAML files in " + ", ".join(map(str, self.dirs)))
        detail = f"{len(self._components)} components, {len(self._groups)} groups from {self._files} files"
        if self._problems:
            detail += f"; {len(self._problems)} problems, first: {self._problems[0]}"
        return CheckResult(NAME, bool(self._components or self._groups), detail)
