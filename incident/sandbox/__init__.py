"""The local sandbox: stand-in servers and real Prometheus/Alertmanager for a scenario."""
