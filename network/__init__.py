"""pairnet layer: network."""
