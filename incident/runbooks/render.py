"""Rendering runbook templates over an incident context, safely.

Only strings from runbook files are ever compiled as templates; context values (alert labels,
log lines, model output) are data and come out literally. The environment is sandboxed and
strict: a missing variable never renders as an empty string, it marks the step "needs <var>".
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jinja2 import ChainableUndefined, StrictUndefined, TemplateError, UndefinedError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from incident.runbooks.model import CONTEXT_VARIABLES
from incident.runbooks.params import did_you_mean, is_template


class _Marker(ChainableUndefined):
    """Shows a missing variable in place, for a step that is displayed but not ready."""

    def __str__(self) -> str:
        return f"<needs {self._undefined_name}>"


STRICT = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
MARKED = SandboxedEnvironment(undefined=_Marker, autoescape=False)
for _env in (STRICT, MARKED):
    _env.globals.clear()  # Jinja's globals include ``namespace``, which would shadow the context variable


@lru_cache(maxsize=2048)
def _parse(source: str) -> nodes.Template:
    return STRICT.parse(source)


@lru_cache(maxsize=2048)
def _compiled(source: str, marked: bool) -> Any:
    return (MARKED if marked else STRICT).from_string(source)


def template_problems(source: str) -> list[tuple[int, str]]:
    """Syntax errors and unknown top-level variables, as (line within the template, message)."""
    try:
        ast = _parse(source)
    except TemplateError as exc:
        lineno = getattr(exc, "lineno", 1) or 1
        return [(lineno, f"template syntax error: {getattr(exc, 'message', None) or exc}")]
    unknown = meta.find_undeclared_variables(ast) - set(CONTEXT_VARIABLES)
    first_line: dict[str, int] = {}
    for name_node in ast.find_all(nodes.Name):
        if name_node.name in unknown:
            first_line.setdefault(name_node.name, name_node.lineno)
    return [
        (first_line.get(name, 1), f"unknown template variable '{name}'{did_you_mean(name, tuple(CONTEXT_VARIABLES))}")
        for name in sorted(unknown)
    ]


def _chain(node: nodes.Node) -> list[str] | None:
    if isinstance(node, nodes.Name):
        return [node.name]
    if isinstance(node, nodes.Getattr):
        base = _chain(node.node)
        return base + [node.attr] if base else None
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        base = _chain(node.node)
        return base + [str(node.arg.value)] if base else None
    return None


def _chains(node: nodes.Node) -> list[list[str]]:
    chain = _chain(node)
    if chain:
        return [chain]
    return [c for child in node.iter_child_nodes() for c in _chains(child)]


def _resolve_missing(chain: list[str], context: dict[str, Any]) -> str | None:
    """The shortest prefix of ``chain`` absent from ``context`` (``None`` counts as absent)."""
    value: Any = context
    for i, part in enumerate(chain):
        if isinstance(value, dict) and value.get(part) is not None:
            value = value[part]
        elif not isinstance(value, dict) and getattr(value, part, None) is not None:
            value = getattr(value, part)
        else:
            return ".".join(chain[: i + 1])
    return None


def missing_variables(source: str, context: dict[str, Any]) -> list[str]:
    ast = _parse(source)
    free = meta.find_undeclared_variables(ast)
    found: list[str] = []
    for chain in _chains(ast):
        if chain[0] in free:
            missing = _resolve_missing(chain, context)
            if missing and missing not in found:
                found.append(missing)
    return found


def _with_markers(context: dict[str, Any], missing: list[str]) -> dict[str, Any]:
    """A copy of ``context`` with each missing path set to a marker naming the whole path."""
    out = dict(context)
    for path in missing:
        *parents, leaf = path.split(".")
        target = out
        for part in parents:
            if not isinstance(target.get(part), dict):
                break
            target[part] = dict(target[part])
            target = target[part]
        else:
            target[leaf] = _Marker(name=path)
    return out


UNRENDERABLE = "<cannot render>"
_EXPRESSION = re.compile(r"\{\{.*?\}\}", re.DOTALL)


def _needs(missing: list[str]) -> str:
    return " ".join(f"<needs {name}>" for name in missing)


def _marked_piecewise(source: str, context: dict[str, Any], missing: list[str]) -> str:
    """``source`` with each expression that uses a missing value (``{{ replicas + 2 }}``, filters on
    it) replaced by its markers, the others rendered; never the template text itself."""

    def one(match: re.Match[str]) -> str:
        expression = match.group(0)
        try:
            own = missing_variables(expression, context)
            if own:
                return _needs(own)
            return str(_compiled(expression, True).render(context))
        except Exception:
            return _needs(missing)

    text = _EXPRESSION.sub(one, source)
    return _needs(missing) if is_template(text) else text  # statements ({% %}) around a missing value


def render_string(source: str, context: dict[str, Any]) -> tuple[str, list[str], list[str]]:
    """Render one runbook string: (text, missing variables, other errors). Never raises, and never
    returns template text: a missing value shows as ``<needs name>``."""
    if not is_template(source):
        return source, [], []
    try:
        return _compiled(source, False).render(context), [], []
    except UndefinedError as exc:
        missing = missing_variables(source, context) or [str(exc)]
        try:
            text = _compiled(source, True).render(_with_markers(context, missing))
        except Exception:  # arithmetic or filters on a missing value: mark each expression instead
            text = _marked_piecewise(source, context, missing)
        return text, missing, []
    except Exception as exc:  # sandbox violations, type errors in expressions
        text = _EXPRESSION.sub(UNRENDERABLE, source)
        return (UNRENDERABLE if is_template(text) else text), [], [f"cannot render: {exc}"]


def render_value(value: Any, context: dict[str, Any]) -> tuple[Any, list[str], list[str]]:
    """Render strings inside ``value`` (nested lists and dict values); keys stay literal."""
    if isinstance(value, str):
        return render_string(value, context)
    missing: list[str] = []
    errors: list[str] = []
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out[key], m, e = render_value(item, context)
            missing += [x for x in m if x not in missing]
            errors += e
        return out, missing, errors
    if isinstance(value, list):
        items = []
        for item in value:
            rendered, m, e = render_value(item, context)
            items.append(rendered)
            missing += [x for x in m if x not in missing]
            errors += e
        return items, missing, errors
    return value, [], []
