"""Runbooks: Markdown files with YAML front matter, matched to hypotheses and rendered into steps.

``load_runbooks`` collects every problem with file and line; ``match_runbooks`` ranks the ones
that fit a hypothesis and renders their steps (text, diagnostics, typed action proposals).
"""

from incident.runbooks.loader import (
    Problem,
    RunbookSet,
    bundled_dir,
    configured_runbooks,
    load_file,
    load_runbooks,
)
from incident.runbooks.match import MatchedRunbook, catalog_links, flatten_steps, match_runbooks, render_step
from incident.runbooks.model import CONTEXT_VARIABLES, Runbook, StepSpec
from incident.runbooks.params import ACTION_TYPES, KUBERNETES_READS
from incident.runbooks.step import Step, StepAction, steps_of

__all__ = [
    "ACTION_TYPES",
    "CONTEXT_VARIABLES",
    "KUBERNETES_READS",
    "MatchedRunbook",
    "Problem",
    "Runbook",
    "RunbookSet",
    "Step",
    "StepAction",
    "StepSpec",
    "bundled_dir",
    "catalog_links",
    "configured_runbooks",
    "flatten_steps",
    "load_file",
    "load_runbooks",
    "match_runbooks",
    "render_step",
    "steps_of",
]
