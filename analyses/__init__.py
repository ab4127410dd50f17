"""pairnet layer: analyses."""
