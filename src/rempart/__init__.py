"""Rempart: protects small healthcare practices against ransomware."""

__version__ = "0.1.0"
