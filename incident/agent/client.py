"""Moved: the Messages client and the single send point live in :mod:`incident.llm.client`."""

from incident.llm.client import build_client as build_client  # moved to incident.llm.client
