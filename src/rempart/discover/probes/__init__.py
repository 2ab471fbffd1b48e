"""Protocol probes: one module per protocol, each returning a typed observation (see base.py)."""
