"""Synthesised incident scenarios for the development set (see README.md)."""
