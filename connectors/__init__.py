"""Connectors to external systems, each behind a small Protocol in :mod:`connectors.base`.

The only place vendor clients (pagerduty, prometheus-api-client, kubernetes, httpx for
Alertmanager and Backstage) are imported. Connectors never import the store or the TUI.
"""
