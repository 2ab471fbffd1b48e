"""Discovery: the LAN → assets and services (targets, port scan, probes, fingerprints)."""
