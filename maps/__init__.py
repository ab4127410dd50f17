"""pairnet layer: maps."""
