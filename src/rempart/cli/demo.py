"""`rempart demo` (being written)."""
