"""Deterministic generator of the bundled scenarios (see scenarios/README.md)."""
