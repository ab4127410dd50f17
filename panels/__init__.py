"""pairnet layer: panels."""
