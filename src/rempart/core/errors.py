"""Errors that carry a message for a person.

The CLI prints ``str(error)`` on one line and exits with ``error.exit_code``;
a traceback is shown only with ``--debug``.
"""

from __future__ import annotations


class RempartError(Exception):
    """Base class: the message says what is wrong and what to do next."""

    exit_code = 1


class UsageError(RempartError):
    """The user asked for something malformed (a bad target, an unknown port list...)."""

    exit_code = 2


class ScopeError(UsageError):
    """A target is outside what Rempart may scan without explicit authorisation."""


class ConfigError(RempartError):
    """The settings file cannot be read or holds a wrong value."""


class StoreError(RempartError):
    """The store (database of audits) cannot be opened or written."""


class LabError(RempartError):
    """The demo practice cannot be started, stopped or reached."""


class DataError(RempartError):
    """Reference data (fingerprints, feeds) is missing or malformed."""
