"""The TUI reaches the store only through the application layer (``incident.app``): no module of
tui/ imports SQLAlchemy or the ORM models, at the top or inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("sqlalchemy", "incident.models")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def test_the_tui_imports_neither_sqlalchemy_nor_the_orm_models() -> None:
    offenders = sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for path in (ROOT / "tui").rglob("*.py")
        for name in _imports(path)
        if _forbidden(name)
    )
    assert offenders == []


def test_the_check_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from incident import models\n    import sqlalchemy.orm\n")
    assert {n for n in _imports(module) if _forbidden(n)} == {"incident.models", "sqlalchemy.orm"}
