"""Load runbooks (Markdown with YAML front matter) and report every problem with file and line.

A file with any problem is left out of the set; the others still load. Line numbers come from
the YAML parser's marks, shifted by the front matter's offset in the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

import incident
from incident.config import RunbooksConfig
from incident.runbooks.model import SCHEMA_KEYS, Runbook
from incident.runbooks.params import ACTION_TYPES, KUBERNETES_READS, did_you_mean, is_template, param_problems
from incident.runbooks.render import template_problems

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    file: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


@dataclass
class RunbookSet:
    runbooks: list[Runbook] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def __iter__(self) -> Iterator[Runbook]:
        return iter(self.runbooks)

    def __len__(self) -> int:
        return len(self.runbooks)

    def get(self, runbook_id: str) -> Runbook | None:
        return next((r for r in self.runbooks if r.id == runbook_id), None)

    @property
    def ok(self) -> bool:
        return not self.problems


def bundled_dir() -> Path:
    return Path(incident.__file__).resolve().parents[1] / "runbooks"


def configured_runbooks(config: RunbooksConfig) -> RunbookSet:
    return load_runbooks([Path(d).expanduser() for d in config.dirs], bundled=config.bundled)


def load_runbooks(dirs: list[Path], *, bundled: bool = True) -> RunbookSet:
    """Every ``*.md`` (except README.md) in the bundled dir and ``dirs``; ids unique across all."""
    result = RunbookSet()
    seen: dict[str, tuple[Path, int]] = {}
    for directory in ([bundled_dir()] if bundled else []) + list(dirs):
        if not directory.is_dir():
            result.problems.append(Problem(directory, 0, "runbook directory not found"))
            continue
        for path in sorted(p for p in directory.glob("*.md") if p.name.lower() != "readme.md"):
            result.files.append(path)
            runbook, problems, (rid, line) = _load(path)
            if rid in seen:
                first_path, first_line = seen[rid]
                problems.append(Problem(path, line, f"duplicate id '{rid}' (also in {first_path}:{first_line})"))
            elif rid is not None:
                seen[rid] = (path, line)
            result.problems.extend(problems)
            if runbook is not None and not problems:
                result.runbooks.append(runbook)
    return result


def split_front_matter(text: str) -> tuple[str, int, str] | None:
    """(YAML, file line of its first line, Markdown body), or None without front matter."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return "".join(lines[1:i]), 2, "".join(lines[i + 1 :]).strip("\n")
    return None


class _Lines:
    """Maps a key path to the file line where it is written."""

    def __init__(self, offset: int) -> None:
        self.offset = offset
        self.keys: dict[Path_, int] = {}
        self.values: dict[Path_, yaml.Node] = {}
        self.duplicates: list[tuple[int, str]] = []

    def walk(self, node: yaml.Node, path: Path_ = ()) -> None:
        self.values[path] = node
        self.keys.setdefault(path, node.start_mark.line + self.offset)
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                if key in seen:
                    self.duplicates.append((key_node.start_mark.line + self.offset, f"duplicate key '{key}'"))
                seen.add(key)
                self.keys[path + (key,)] = key_node.start_mark.line + self.offset
                self.walk(value_node, path + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.walk(item, path + (i,))

    def line(self, path: Path_) -> int:
        for end in range(len(path), -1, -1):
            if path[:end] in self.keys:
                return self.keys[path[:end]]
        return self.offset

    def template_line(self, path: Path_, lineno: int) -> int:
        node = self.values.get(path)
        if node is None:
            return self.line(path)
        block = 1 if getattr(node, "style", None) in ("|", ">") else 0
        return int(node.start_mark.line) + self.offset + block + lineno - 1


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(err: ErrorDetails) -> str:
    loc = tuple(err["loc"])
    if err["type"] == "extra_forbidden":
        return f"unknown key '{loc[-1]}'{did_you_mean(str(loc[-1]), SCHEMA_KEYS)}"
    if err["type"] == "missing":
        where = f" in {_dotted(loc[:-1])}" if loc[:-1] else ""
        return f"missing required field '{loc[-1]}'{where}"
    msg = err["msg"].removeprefix("Value error, ")
    return f"{_dotted(loc)}: {msg}" if loc else msg


def _strings(value: Any, path: Path_) -> Iterator[tuple[Path_, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, path + (str(key),))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, path + (i,))


def _step_problems(steps: Any, lines: _Lines) -> list[tuple[int, str]]:
    """Templates, action parameters and Kubernetes read arguments (beyond the model's checks)."""
    found: list[tuple[int, str]] = []
    if not isinstance(steps, list):
        return found
    for path, text in _strings(steps, ("steps",)):
        if is_template(text):
            found += [(lines.template_line(path, n), f"{_dotted(path)}: {m}") for n, m in template_problems(text)]
    for i, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        action, diagnostic = step.get("action"), step.get("diagnostic")
        calls: list[tuple[Path_, Any, Any]] = []
        if isinstance(action, dict) and action.get("type") in ACTION_TYPES:
            calls.append((("steps", i, "action", "params"), ACTION_TYPES[action["type"]], action.get("params", {})))
        if isinstance(diagnostic, dict) and isinstance(diagnostic.get("kubernetes"), dict):
            args = dict(diagnostic["kubernetes"])
            if args.pop("read", None) in KUBERNETES_READS:
                schema = KUBERNETES_READS[diagnostic["kubernetes"]["read"]]
                calls.append((("steps", i, "diagnostic", "kubernetes"), schema, args))
        for base, schema, params in calls:
            if isinstance(params, dict):
                for sub, message in param_problems(schema, params):
                    found.append((lines.line(base + sub), f"{_dotted(base + sub)}: {message}"))
    return found


def load_file(path: Path) -> tuple[Runbook | None, list[Problem]]:
    """One runbook file: the runbook (None when it has any problem) and its problems."""
    runbook, problems, _ = _load(path)
    return runbook, problems


def _load(path: Path) -> tuple[Runbook | None, list[Problem], tuple[str | None, int]]:
    """Also returns the declared id and its line, for duplicate detection across files."""
    no_id: tuple[str | None, int] = (None, 0)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(path, 0, f"cannot read: {exc}")], no_id
    split = split_front_matter(text)
    if split is None:
        return (
            None,
            [Problem(path, 1, "no YAML front matter (the file must start with a '---' line and close it)")],
            no_id,
        )
    source, offset, body = split
    loader = yaml.SafeLoader(source)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + offset if mark else offset
        message = f"invalid YAML: {exc.problem or exc.context}"
        if exc.context and exc.context_mark and exc.problem_mark:
            message += f" ({exc.context} at line {exc.context_mark.line + offset})"
        return None, [Problem(path, line, message)], no_id
    finally:
        loader.dispose()
    if node is None or not isinstance(data, dict):
        return None, [Problem(path, offset, "front matter must be a mapping (id, title, matches, steps)")], no_id
    lines = _Lines(offset)
    lines.walk(node)
    found = list(lines.duplicates)
    runbook: Runbook | None = None
    try:
        runbook = Runbook.model_validate(data).located(path, lines.line(("id",)), body)
    except ValidationError as exc:
        found += [(lines.line(tuple(err["loc"])), _describe(err)) for err in exc.errors()]
    found += _step_problems(data.get("steps"), lines)
    problems = [Problem(path, line, message) for line, message in sorted(set(found))]
    rid = data.get("id") if isinstance(data.get("id"), str) else None
    return (runbook if not problems else None), problems, (rid, lines.line(("id",)))
