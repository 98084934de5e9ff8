"""Data stamped after the page, made visible rather than dropped.

A replay's stand-ins run on a clock that starts at the page (:mod:`incident.clock`), so a pod
restarted by an action during the replay carries a ``started_at`` minutes after the page; a
live refresh sees the same once the page is past. Such a draft keeps its data and says so:
``details["after_page"]`` names the stamps that are later than the page, and the summary ends
with a mark, so neither the analyzer nor a reader takes it for what the page saw.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from incident.gathering.drafts import Draft

MARK = " [after the page]"


def _late(value: Any, page_at: datetime, path: str) -> Iterator[str]:
    if isinstance(value, datetime):
        if value > page_at:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _late(item, page_at, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _late(item, page_at, f"{path}[{i}]")


def after_page_fields(draft: Draft, page_at: datetime) -> list[str]:
    """Paths of the draft's stamps later than the page (``at`` itself included)."""
    late = ["at"] if draft.at > page_at else []
    return late + sorted(set(_late(draft.details, page_at, "")))


def mark_after_page(draft: Draft, page_at: datetime) -> Draft:
    """The draft, marked when anything in it is stamped after the page."""
    late = after_page_fields(draft, page_at)
    if not late:
        return draft
    summary = draft.summary if draft.summary.endswith(MARK) else draft.summary + MARK
    return dataclasses.replace(draft, summary=summary, details={**draft.details, "after_page": late})
