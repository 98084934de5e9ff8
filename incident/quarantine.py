"""Quarantined alerts: ones that failed validation, kept raw with the reason while the rest of
their poll or webhook batch proceeds. :func:`recent` is the one read both ``incident doctor`` and
the TUI show them through."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.base import RejectedAlert
from incident.models import QUARANTINE_RAW_MAX, QuarantinedAlert


def quarantine(session: Session, rejected: Iterable[RejectedAlert], *, source: str, channel: str, now: datetime) -> int:
    """Store each rejected alert once: the same alert refused for the same reason again (every
    poll lists it while it fires) is not stored twice. Returns how many rows were added."""
    added = 0
    for item in rejected:
        raw = item.raw[:QUARANTINE_RAW_MAX]
        reason = item.reason[:2000]
        same = select(QuarantinedAlert.id).where(
            QuarantinedAlert.source == source,
            QuarantinedAlert.reason == reason,
            QuarantinedAlert.fingerprint == item.fingerprint
            if item.fingerprint is not None
            else QuarantinedAlert.raw == raw,
        )
        if session.scalar(same.limit(1)) is not None:
            continue
        session.add(
            QuarantinedAlert(
                received_at=now, source=source, channel=channel, reason=reason, raw=raw, fingerprint=item.fingerprint
            )
        )
        added += 1
    session.flush()
    return added


RAW_SHOWN = 8000
"""Characters of the pretty-printed payload a reader is shown; the store keeps up to
:data:`~incident.models.QUARANTINE_RAW_MAX`."""
VALUE_SHOWN = 1000
"""A longer string inside the payload is cut (with how much was left out), so one huge annotation
does not push the labels out of :data:`RAW_SHOWN`."""
LABEL_SHOWN = 60
SUMMARY_LABELS = ("alertname", "service", "component", "namespace")


@dataclass(frozen=True)
class QuarantinedView:
    """One quarantined alert as readers show it (``incident doctor``, the TUI). Every text field is
    printable: control characters and lone surrogates of the hostile original are escaped."""

    id: int
    received_at: datetime
    source: str
    channel: str
    reason: str
    labels: str
    """``alertname=... service=...`` when the payload has those labels, else ``""``."""
    fingerprint: str | None
    raw: str
    """The payload pretty-printed (JSON, ASCII-escaped), cut to :data:`RAW_SHOWN` characters with a note."""


def printable(text: str, *, lines: bool = False) -> str:
    """``text`` with every non-printable character (NUL, ESC, DEL, a lone surrogate, a newline unless
    ``lines``) written as a ``\\u`` escape (NUL is ``\\u0000``), so hostile input cannot drive the
    terminal or break an encoder."""
    keep = "\n" if lines else ""
    return "".join(c if c.isprintable() or c in keep else f"\\u{ord(c):04x}" for c in text)


def _shorten(value: Any) -> Any:
    if isinstance(value, str) and len(value) > VALUE_SHOWN:
        return f"{value[:VALUE_SHOWN]}... ({len(value) - VALUE_SHOWN:,} more characters)"
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v) for v in value]
    return value


def _pretty(raw: str) -> tuple[str, Any]:
    """(the payload indented with long strings cut, the decoded payload or None when the text is not
    JSON, e.g. cut at the cap)."""
    try:
        payload = json.loads(raw)
        return json.dumps(_shorten(payload), indent=2, ensure_ascii=True, sort_keys=True), payload
    except (ValueError, RecursionError):  # cut at the cap, or nested too deep to indent
        return raw, None


def _labels(payload: Any) -> str:
    labels = payload.get("labels") if isinstance(payload, dict) else None
    if not isinstance(labels, dict):
        return ""
    parts = []
    for name in SUMMARY_LABELS:
        value = labels.get(name)
        if isinstance(value, str) and value:
            shown = printable(value)
            if len(shown) > LABEL_SHOWN:
                shown = shown[: LABEL_SHOWN - 1] + "\u2026"
            parts.append(f"{name}={shown}")
    return " ".join(parts)


def view(row: QuarantinedAlert) -> QuarantinedView:
    text, payload = _pretty(row.raw)
    if len(text) > RAW_SHOWN:
        more = f"\n\u2026 {len(text) - RAW_SHOWN:,} more characters (quarantined_alerts id {row.id})"
        text = printable(text[:RAW_SHOWN], lines=True) + more
    else:
        text = printable(text, lines=True)
    if payload is None and len(row.raw) >= QUARANTINE_RAW_MAX:
        text += f"\n(kept cut at {QUARANTINE_RAW_MAX:,} characters when quarantined)"
    return QuarantinedView(
        id=row.id,
        received_at=row.received_at,
        source=row.source,
        channel=row.channel,
        reason=printable(row.reason),
        labels=_labels(payload),
        fingerprint=printable(row.fingerprint) if row.fingerprint else None,
        raw=text,
    )


def recent(session: Session, *, limit: int = 20) -> tuple[int, list[QuarantinedView]]:
    """(how many are quarantined in all, the latest ``limit`` of them, newest first)."""
    total = session.scalar(select(func.count()).select_from(QuarantinedAlert)) or 0
    if limit <= 0 or not total:
        return total, []
    query = select(QuarantinedAlert).order_by(QuarantinedAlert.received_at.desc(), QuarantinedAlert.id.desc())
    return total, [view(row) for row in session.scalars(query.limit(limit))]


def doctor_lines(session: Session, *, limit: int = 10) -> list[str]:
    """What ``incident doctor`` says of quarantined alerts: nothing when there are none."""
    total, rows = recent(session, limit=limit)
    if not total:
        return []
    lines = [f"{total} alert(s) quarantined as invalid (kept raw, never opened as incidents); latest first:"]
    for row in rows:
        where = f"{row.source} {row.channel}"
        labels = f" [{row.labels}]" if row.labels else ""
        fp = f" {row.fingerprint}" if row.fingerprint else ""
        lines.append(f"  #{row.id} {row.received_at:%Y-%m-%d %H:%M:%S} UTC {where}{fp}{labels}: {row.reason}")
    if total > len(rows):
        lines.append(f"  ... and {total - len(rows)} older")
    return lines
