"""Data the probes read (known admin consoles, documented default credentials) and its loaders.

Kept as data so that adding a product is a TOML edit reviewed by anyone, not a code change.
"""
