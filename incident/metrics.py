"""The watcher's own Prometheus metrics, served on ``/metrics`` by the listener.

Each :class:`WatcherMetrics` has its own registry (several watchers in one test process do not
mix). Counts that live in the store (quarantined alerts, pending inbox items) are read at scrape
time, so they stay right across restarts and watchers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

_DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60, 120)


class _StoreCounts(Collector):
    """Gauges computed by ``read`` at each scrape; a failing read omits them (and is logged)."""

    def __init__(self, read: Callable[[], dict[str, int]]) -> None:
        self._read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            counts = self._read()
        except Exception as exc:
            log.warning("metrics: store counts unavailable: %s", exc)
            return
        yield GaugeMetricFamily(
            "incident_quarantined_alerts", "Alerts kept aside as invalid (in the store)", value=counts["quarantined"]
        )
        yield GaugeMetricFamily(
            "incident_inbox_pending", "Acknowledged webhooks not yet processed", value=counts["inbox_pending"]
        )


class WatcherMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.webhooks = Counter(
            "incident_webhooks_received", "Webhook deliveries by endpoint and answer", ["endpoint", "code"], registry=r
        )
        self.pages = Counter(
            "incident_pages_received", "Alerts and PagerDuty incidents received", ["source"], registry=r
        )
        self.opened = Counter("incident_incidents_opened", "Incidents opened", ["source"], registry=r)
        self.gather_seconds = Histogram(
            "incident_gather_duration_seconds", "Gathering of one incident", buckets=_DURATION_BUCKETS, registry=r
        )
        self.analysis_seconds = Histogram(
            "incident_analysis_duration_seconds", "Analysis of one incident", buckets=_DURATION_BUCKETS, registry=r
        )
        self.connector_errors = Counter(
            "incident_connector_errors", "Failed connector calls (gathering and polls)", ["connector"], registry=r
        )
        self.polls = Counter("incident_polls", "Scheduled polls run by this watcher", ["source"], registry=r)
        self.leader = Gauge(
            "incident_watcher_leader", "1 when this watcher leads (runs the scheduled polls), else 0", registry=r
        )

    def watch_store(self, read: Callable[[], dict[str, int]]) -> None:
        """Expose the store's counts (``quarantined``, ``inbox_pending``) as gauges."""
        self.registry.register(_StoreCounts(read))

    def render(self) -> bytes:
        return generate_latest(self.registry)
