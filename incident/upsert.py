"""Insert-or-update rows keyed by a natural id, safe when several processes write the same row.

A SELECT-then-INSERT (``Session.merge``) races: two watchers both see no row and the second
INSERT fails on the primary key. SQLite and PostgreSQL settle it in one statement
(``INSERT ... ON CONFLICT DO UPDATE``); other databases fall back to ``merge``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def upsert(
    session: Session, model: Any, rows: Sequence[dict[str, Any]], *, key: Sequence[str], update: Sequence[str]
) -> None:
    """Insert ``rows`` of ``model``; a row whose ``key`` columns exist has its ``update`` columns set."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        for row in rows:
            session.merge(model(**row))
        return
    stmt = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(model)
    changed = {name: stmt.excluded[name] for name in update}
    session.execute(stmt.on_conflict_do_update(index_elements=list(key), set_=changed), list(rows))
