"""Postmortem drafts: a blameless Markdown draft in the structure of Google's SRE postmortem,
built from the stored record only; Claude may rewrite the prose, and a judge checks every claim.

The UI's "export postmortem" calls :func:`write_postmortem` with ``path=export_path(settings, id)``.
"""

from __future__ import annotations

from incident.postmortem.draft import PostmortemResult, export_path, write_postmortem
from incident.postmortem.model import PostmortemRecord, RemovedClaim
from incident.postmortem.record import PostmortemError, build_record

__all__ = [
    "PostmortemError",
    "PostmortemRecord",
    "PostmortemResult",
    "RemovedClaim",
    "build_record",
    "export_path",
    "write_postmortem",
]
