"""The shared vocabulary of every pillar. No I/O here."""

from rempart.core.errors import RempartError
from rempart.core.model import Asset, Audit, Evidence, Finding, Service, Severity

__all__ = ["Asset", "Audit", "Evidence", "Finding", "RempartError", "Service", "Severity"]
