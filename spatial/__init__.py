"""pairnet layer: spatial (boundaries, city groups, distances, adjacency, datum)."""
