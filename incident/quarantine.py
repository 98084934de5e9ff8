"""Quarantined alerts: ones that failed validation, kept raw with the reason (``incident doctor``
lists them) while the rest of their poll or webhook batch proceeds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.alertmanager.webhook import RejectedAlert
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


def recent(session: Session, *, limit: int = 20) -> tuple[int, list[QuarantinedAlert]]:
    """(how many are quarantined in all, the latest ``limit`` of them)."""
    total = session.scalar(select(func.count()).select_from(QuarantinedAlert)) or 0
    rows = session.scalars(select(QuarantinedAlert).order_by(QuarantinedAlert.id.desc()).limit(limit))
    return total, list(rows)


def doctor_lines(session: Session, *, limit: int = 10) -> list[str]:
    """What ``incident doctor`` says of quarantined alerts: nothing when there are none."""
    total, rows = recent(session, limit=limit)
    if not total:
        return []
    lines = [f"{total} alert(s) quarantined as invalid (kept raw, never opened as incidents); latest first:"]
    for row in rows:
        where = f"{row.source} {row.channel}"
        fp = f" {row.fingerprint}" if row.fingerprint else ""
        lines.append(f"  #{row.id} {row.received_at:%Y-%m-%d %H:%M:%S} UTC {where}{fp}: {row.reason}")
    if total > len(rows):
        lines.append(f"  ... and {total - len(rows)} older")
    return lines
