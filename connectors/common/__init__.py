"""The leaf every connector may import: errors, time helpers and config building blocks.

Nothing here imports the core (``incident``) or a specific connector, so connectors stay a leaf
of the dependency graph; the core re-exports these names where it always had them.
"""
