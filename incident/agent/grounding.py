"""Does an agent hypothesis stand on the ground? The deterministic check before the LLM judge.

The rule (the judge's prompt states the same one in words):

* Each cited item gets a **component** — the timeline event's or metric window's component, the
  tool call's ``component`` argument or the component of the ``pod`` it read; the hypothesis'
  own component when the item names none — and a **time**: a timeline event's ``at``. Tool
  results answer as of the page and metric windows end at the present, so they are never late.
* An item is **late** when it is stamped after the analysis' present (the page time in a
  replay). Late items are hindsight: nothing excuses them.
* An item is **off the paged path** when its component's relevance is ``off_path``: the catalog
  knows the component and its edges, and none of them (dependencies, callers, shared nodes,
  shared datastores, dependencies named by errors) reaches the paged component. A component of
  *unknown* connection is not off the path: missing topology is not evidence of being unrelated.
* The hypothesis **explains the connection** when its summary, refutation or evidence notes name
  (as a whole word, any case) a *bridge*: a component other than its own that is connected to the
  paged one (on its path, upstream of it, sharing a node or a datastore; the paged component itself
  does not count, since every claim names it), or a node that hosts the paged component.

A hypothesis with cited evidence is **rejected** when (a) every cited item is late, or (b) its own
component is off the paged path, or every item that is not late is off the paged path, and it does
not explain the connection. Hypotheses without valid evidence are left to
:func:`incident.hypotheses.check_citations` (already capped).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from incident.agent.ground import Ground
from incident.analysis.relevance import Relevance
from incident.hypotheses import HypothesisDraft

BRIDGES = ("downstream", "upstream", "node", "datastore", "named")
"""Relevance kinds of a component through which another one can reach the page."""


@dataclass(frozen=True)
class Placed:
    """A cited item on the ground."""

    ref: str
    component: str | None
    relevance: Relevance
    at: datetime | None
    late: bool

    @property
    def off_path(self) -> bool:
        return self.relevance.how == "off_path"


@dataclass(frozen=True)
class Check:
    status: str
    """``grounded``, ``explained`` (off the path, connection named), ``late`` or ``off_path``
    (the last two reject)."""
    reason: str

    @property
    def rejected(self) -> bool:
        return self.status in ("late", "off_path")


def _named(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, re.I) is not None


class Grounding:
    """The ground of one run plus its tool calls: places cited items and applies the rule."""

    def __init__(self, ground: Ground, tool_args: dict[str, dict[str, Any]] | None = None) -> None:
        self.ground = ground
        self.tool_args = tool_args or {}

    def placed(self, draft: HypothesisDraft) -> list[Placed]:
        out = []
        for e in draft.evidence:
            stamp = self.ground.stamps.get(e.ref)
            at: datetime | None = None
            if stamp is not None:
                component, at = stamp.component, stamp.at
            else:
                args = self.tool_args.get(e.ref, {})
                component = args.get("component") or self.ground.pods.get(str(args.get("pod") or ""))
            component = component if isinstance(component, str) and component else draft.component
            rel = self.ground.relevance(component)
            out.append(Placed(e.ref, component, rel, at, self.ground.after_present(at)))
        return out

    def bridge(self, draft: HypothesisDraft) -> str | None:
        """The first bridge the hypothesis' own words name, or None."""
        text = " ".join([draft.summary, draft.refutation, *(e.note for e in draft.evidence)])
        g = self.ground
        names = set(g.paths.graph) | set(g.paths.callers) | set(g.findings)
        for name in sorted(names - {draft.component, g.paged or ""}):
            if g.relevance(name).how in BRIDGES and _named(text, name):
                return name
        for node in sorted(n for n, comps in g.nodes.items() if g.paged in comps):
            if _named(text, node):
                return node
        return None

    def check(self, draft: HypothesisDraft) -> Check:
        g = self.ground
        placed = self.placed(draft)
        if not placed:
            return Check("grounded", "no evidence to place")
        timely = [p for p in placed if not p.late]
        if not timely:
            present = g.present.strftime("%Y-%m-%dT%H:%M:%SZ")
            return Check("late", f"every cited item is stamped after the page ({present}): hindsight, not evidence")
        own = g.relevance(draft.component)
        off = sorted({p.component or "?" for p in timely if p.off_path}) if all(p.off_path for p in timely) else []
        if own.how != "off_path" and not off:
            return Check("grounded", "cited evidence on components connected to the page")
        bridge = self.bridge(draft)
        where = draft.component if own.how == "off_path" else ", ".join(off)
        if bridge is not None:
            return Check("explained", f"{where} is off the paged path; the hypothesis names {bridge} as the link")
        what = f"{draft.component} is" if own.how == "off_path" else f"its evidence is all on {where},"
        return Check(
            "off_path",
            f"{what} off the paged path (no connection to {g.paged}) and the hypothesis does not say how it "
            "reaches the page (no component on the paged path, shared node or datastore named)",
        )

    def why(self, draft: HypothesisDraft, check: Check | None = None) -> dict[str, Any]:
        """A ``details["why"]``-like block for an agent hypothesis: what can be computed without the
        model (relevance of its component, onset of its cited evidence, the ground check)."""
        g = self.ground
        check = check or self.check(draft)
        placed = self.placed(draft)
        stamped = [p.at for p in placed if p.at is not None and not p.late]
        onset = min(stamped) if stamped else None
        return {
            "relevance": {**g.relevance(draft.component).as_dict(), "place": g.place(draft.component)},
            "onset": onset.isoformat() if onset else None,
            "onset_of": "the earliest cited timeline event",
            "symptom_onset": g.symptom_onset.isoformat() if g.symptom_onset else None,
            "evidence": [
                {
                    "ref": p.ref,
                    "component": p.component,
                    "place": g.place(p.component),
                    "at": p.at.isoformat() if p.at else None,
                    "late": p.late,
                }
                for p in placed
            ],
            "ground": {"status": check.status, "reason": check.reason},
        }
