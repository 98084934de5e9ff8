"""The audit log's hash chain: each row's ``row_hash`` is sha256 over its canonical content and the
``row_hash`` of the row before it (by id), so rewriting, removing or inserting a row breaks every
link after it. :func:`verify` finds the first broken link.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

COLUMNS = ("id", "at", "incident_id", "action_id", "who", "what", "detail", "prev_hash", "row_hash")


def fields(entry: Any) -> dict[str, Any]:
    """The chained columns of an :class:`~incident.models.AuditEntry` (or any object having them)."""
    return {column: getattr(entry, column) for column in COLUMNS}


def canonical(row: Mapping[str, Any]) -> str:
    """One audit row as text: its time (UTC, microseconds), incident, action, who, what and detail.

    The id is left out (it is assigned on insert, after the hash): the order is in the links."""
    at = row["at"]
    when = at.astimezone(UTC).isoformat(timespec="microseconds") if isinstance(at, datetime) else str(at)
    content = {
        "at": when,
        "incident_id": row["incident_id"],
        "action_id": row["action_id"],
        "who": row["who"],
        "what": row["what"],
        "detail": row["detail"],
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


def row_hash(row: Mapping[str, Any], prev_hash: str | None) -> str:
    """sha256 (hex) of the previous row's hash and this row's canonical content."""
    return hashlib.sha256(f"{prev_hash or ''}\x1e{canonical(row)}".encode()).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first audit row whose link does not hold (None: rows are missing, not altered), and why."""

    id: int | None
    reason: str


def verify(rows: Iterable[Mapping[str, Any]]) -> tuple[int, Break | None]:
    """Walk ``rows`` (the whole log, in id order): (rows checked, the first broken link or None)."""
    prev: str | None = None
    count = 0
    for row in rows:
        count += 1
        if row["prev_hash"] != prev:
            expected = prev or "none (the first row)"
            return count, Break(row["id"], f"prev_hash {row['prev_hash']} does not match the previous row ({expected})")
        if row["row_hash"] != row_hash(row, prev):
            return count, Break(row["id"], "row_hash does not match the row's content (rewritten)")
        prev = row["row_hash"]
    return count, None
