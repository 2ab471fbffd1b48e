"""`rempart audit` (being written)."""
