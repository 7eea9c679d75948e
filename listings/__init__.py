"""Gold offers: drafting, the publication gate, visibility computed at query time, and search."""
