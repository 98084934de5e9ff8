"""Text search over the configured runbooks, for the agent's ``search_runbooks`` tool.

Runbooks come from :mod:`incident.runbooks` (bundled and team directories); without it, the
bundled ``runbooks/*.md`` files are searched as plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from incident.config import Settings
from incident.llm import clip

BUNDLED = Path(__file__).resolve().parents[2] / "runbooks"
_WORD = re.compile(r"[a-z0-9_.-]{3,}")


@dataclass(frozen=True)
class Doc:
    id: str
    title: str
    kinds: tuple[str, ...]
    steps: tuple[str, ...]
    body: str

    @property
    def text(self) -> str:
        return " ".join([self.id, self.title, *self.kinds, *self.steps, self.body]).lower()


def _step_line(step: Any) -> str:
    if step.text is not None:
        return f"text: {step.title or ''} {step.text}".strip()
    if step.diagnostic is not None:
        return f"diagnostic: {step.title or ''} {step.diagnostic.model_dump(exclude_none=True)}"
    return f"action proposal (needs approval): {step.title or ''} {step.action.model_dump(exclude_none=True)}"


def _docs(settings: Settings) -> list[Doc]:
    try:
        from incident.runbooks import configured_runbooks

        loaded = configured_runbooks(settings.runbooks)
    except (ImportError, AttributeError):
        return [
            Doc(p.stem, p.stem, (), (), p.read_text(errors="replace"))
            for p in sorted(BUNDLED.glob("*.md"))
            if p.name.lower() != "readme.md"
        ]
    return [
        Doc(rb.id, rb.title, tuple(rb.matches.kinds), tuple(_step_line(s) for s in rb.steps), rb.body)
        for rb in loaded.runbooks
    ]


def search(settings: Settings, query: str, *, kind: str | None = None, limit: int = 3) -> list[dict[str, Any]]:
    """The best ``limit`` runbooks for ``query`` (term counts; a matching kind weighs most)."""
    terms = set(_WORD.findall(query.lower()))
    scored = []
    for doc in _docs(settings):
        text = doc.text
        score = sum(text.count(t) for t in terms) + (10 if kind and kind in doc.kinds else 0)
        if score:
            scored.append((score, doc))
    scored.sort(key=lambda item: (-item[0], item[1].id))
    return [
        {
            "id": d.id,
            "title": d.title,
            "kinds": list(d.kinds),
            "steps": [clip(s, 300) for s in d.steps[:10]],
            "excerpt": clip(d.body.strip(), 800),
        }
        for _, d in scored[:limit]
    ]
