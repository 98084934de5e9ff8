"""How similar a past incident is to this one: a weighted score in [0, 1], with reasons.

::

    score = 0.25 * component    1 same; 0.5 one depends on the other (catalog); 0.2 same system
          + 0.15 * alerts       Jaccard of alert names
          + 0.30 * kinds        0.6 * [the diagnoses share a kind] + 0.4 * Jaccard of hypothesis kinds
          + 0.30 * signatures   Jaccard of log/event/exit/state signatures (incident.memory.profile)

A past incident counts as similar from :data:`THRESHOLD`. Same component and alert alone (0.40)
is not enough: something of the diagnosis or of the evidence must match too, so a page on the
same service with a different cause is not offered as "what fixed it last time".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from incident.catalog.graph import DependencyGraph, load_graph
from incident.memory.profile import Profile

WEIGHTS: Mapping[str, float] = {"component": 0.25, "alerts": 0.15, "kinds": 0.30, "signatures": 0.30}
NEIGHBOUR = 0.5
SAME_SYSTEM = 0.2
PRIMARY_SHARE = 0.6
THRESHOLD = 0.45
MAX_REASONS_PER_PART = 3
_SIGNATURE_WORDS = {
    "log": "log signature",
    "exit": "container exit",
    "state": "pod state",
    "event": "Kubernetes event",
    "node": "node condition",
}


class Catalog(DependencyGraph):
    """The catalog's dependency graph and systems (as mirrored in the store), with the component credit."""

    def relation(self, a: str | None, b: str | None) -> tuple[float, str | None]:
        """Component credit of ``b`` for an incident on ``a``, and why."""
        if not a or not b:
            return 0.0, None
        if a == b:
            return 1.0, f"same component {a}"
        if b in self.depends_on.get(a, ()):
            return NEIGHBOUR, f"{a} depends on {b}"
        if a in self.depends_on.get(b, ()):
            return NEIGHBOUR, f"{b} depends on {a}"
        system = self.system.get(a)
        if system and system == self.system.get(b):
            return SAME_SYSTEM, f"same system {system}"
        return 0.0, None


def load_catalog(session: Session) -> Catalog:
    graph = load_graph(session)
    return Catalog(graph.depends_on, graph.system, graph.types)


@dataclass(frozen=True)
class Similarity:
    score: float
    parts: dict[str, float]
    """Each feature's similarity in [0, 1], before weighting."""
    reasons: list[str]


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    a, b = set(a), set(b)
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def _kinds(current: Profile, past: Profile) -> float:
    shared_primary = 1.0 if current.primary & past.primary else 0.0
    return PRIMARY_SHARE * shared_primary + (1 - PRIMARY_SHARE) * jaccard(current.kinds, past.kinds)


def _parts(current: Profile, past: Profile, component: float) -> dict[str, float]:
    """Each feature's similarity in [0, 1]; signatures are 0 until loaded for ``past``."""
    return {
        "component": component,
        "alerts": jaccard(current.alerts, past.alerts),
        "kinds": _kinds(current, past),
        "signatures": jaccard(current.signatures, past.signatures),
    }


def _weighted(parts: Mapping[str, float]) -> float:
    return min(1.0, sum(WEIGHTS[k] * v for k, v in parts.items()))


def quick_score(current: Profile, past: Profile, catalog: Catalog) -> float:
    """The score without signatures (loading those costs a query over timeline events)."""
    component, _ = catalog.relation(current.component, past.component)
    return _weighted({**_parts(current, past, component), "signatures": 0.0})


def _listed(items: list[str], word: str) -> list[str]:
    shown = [f"same {word} {item}" for item in items[:MAX_REASONS_PER_PART]]
    if len(items) > MAX_REASONS_PER_PART:
        shown.append(f"{len(items) - MAX_REASONS_PER_PART} more shared {word}s")
    return shown


def _signature_reasons(shared: set[str]) -> list[str]:
    order = list(_SIGNATURE_WORDS)
    ranked = sorted(shared, key=lambda s: (order.index(s.split(":", 1)[0]) if s.split(":", 1)[0] in order else 99, s))
    reasons = []
    for sig in ranked[:MAX_REASONS_PER_PART]:
        prefix, _, text = sig.partition(": ")
        text = text if len(text) <= 90 else text[:89] + "…"
        word = _SIGNATURE_WORDS.get(prefix, "signature")
        reasons.append(f"same {word} '{text}'" if prefix == "log" else f"same {word} {text}")
    if len(ranked) > MAX_REASONS_PER_PART:
        reasons.append(f"{len(ranked) - MAX_REASONS_PER_PART} more shared signatures")
    return reasons


def similarity(current: Profile, past: Profile, catalog: Catalog) -> Similarity:
    """Score ``past`` against ``current`` (deterministic; reasons in feature order)."""
    component, why = catalog.relation(current.component, past.component)
    parts = _parts(current, past, component)
    score = round(_weighted(parts), 4)
    reasons = [why] if why else []
    reasons += _listed(sorted(current.alerts & past.alerts), "alert")
    primary = sorted(current.primary & past.primary)
    reasons += _listed(primary, "kind")
    if not primary:
        reasons += _listed(sorted((current.kinds & past.kinds) - {"unknown"}), "suspected kind")
    reasons += _signature_reasons(set(current.signatures & past.signatures))
    return Similarity(score, {k: round(v, 4) for k, v in parts.items()}, reasons)
