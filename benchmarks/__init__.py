"""Benchmarks: numbers recorded in benchmarks/README.md. They import the product and their own
helpers, never the tests (an import-linter contract in pyproject.toml)."""

from pathlib import Path

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
"""The bundled scenarios (the same directory the tests use)."""
