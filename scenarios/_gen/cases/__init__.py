"""One module per bundled scenario."""
