"""Time: when the symptom began, and whether a finding is acute or background.

An experienced engineer discounts what was already wrong before the incident: a service that has
been crash-looping for days did not page you at 02:42 unless something about it changed near the
onset. A cause also begins before (or with) its symptom, so a change that landed after the errors
began cannot be their trigger.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from incident.analysis.context import AnalysisInput

CHRONIC = timedelta(minutes=30)
"""A mechanism under way this long before the symptom's onset is background."""
SLACK = timedelta(minutes=2)
"""Sampling and scrape delays: a cause may appear to start this much after its symptom."""
RECENT_ALERT = timedelta(minutes=30)
"""Alerts that began this close before the page date the symptom."""
BACKOFF_CAP = 300.0
"""Kubernetes' crash-loop back-off doubles from 10 s to this cap (seconds)."""


def symptom_onset(data: AnalysisInput, paged_onset: float | None) -> float:
    """Unix time the paged symptom began: the paged component's metric onset or the start of an
    alert that fired shortly before the page, whichever is earlier; the page time when neither is
    known. An old alert grouped into the incident says when *it* began, not this symptom."""
    page = data.page_at.timestamp()
    candidates = [paged_onset] if paged_onset is not None and page - 6 * 3600 <= paged_onset <= page else []
    for alert in data.incident.alerts:
        at = parse_time(alert.starts_at)
        if at is not None and page - RECENT_ALERT.total_seconds() <= at <= page:
            candidates.append(at)
    return min(candidates) if candidates else page


def loop_duration(restarts: int) -> float:
    """The least time (seconds) a container needs to reach ``restarts`` restarts under the kubelet's
    exponential back-off (10 s doubling to a 5-minute cap): 30 restarts take over two hours."""
    n = max(restarts, 0)
    doubling = min(n, 5)  # 10, 20, 40, 80, 160 s; then the cap
    return 10.0 * ((1 << doubling) - 1) + max(n - doubling, 0) * BACKOFF_CAP


EARLIEST = datetime(1971, 1, 1, tzinfo=UTC).timestamp()


def parse_time(value: object) -> float | None:
    """Unix time of a datetime or an ISO 8601 string; a time without a zone is UTC (as Kubernetes and
    most log formats stamp); nonsense or pre-1971 values are None."""
    at: datetime | None = None
    if isinstance(value, datetime):
        at = value
    elif isinstance(value, str) and value:
        try:
            at = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace(",", "."))
        except ValueError:
            return None
    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    try:
        stamp = at.timestamp()
    except (OverflowError, ValueError, OSError):
        return None
    return stamp if stamp >= EARLIEST else None


def is_chronic(since: float | None, onset: float) -> bool:
    return since is not None and since < onset - CHRONIC.total_seconds()


def timing_factor(since: float | None, onset: float, *, bound: bool = False) -> tuple[float, str]:
    """How well a cause beginning at ``since`` fits a symptom beginning at ``onset``. With ``bound``,
    ``since`` is only known to be no later than that (the oldest line of a log tail)."""
    if since is None or (bound and since > onset - CHRONIC.total_seconds()):
        return 0.9, "its start is not known" if since is None else "seen by the time of the symptom"
    lead = (onset - since) / 60
    if lead < -SLACK.total_seconds() / 60:
        return 0.45, f"began {-lead:.0f} min after the symptom"
    if is_chronic(since, onset):
        return 0.3, f"already under way {lead / 60:.1f} h before the symptom (background)"
    if lead >= 0:
        return 1.0, f"began {lead:.0f} min before the symptom"
    return 0.95, "began with the symptom"
