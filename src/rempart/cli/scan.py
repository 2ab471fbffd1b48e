"""`rempart scan` (being written)."""
