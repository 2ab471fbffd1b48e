"""Fingerprints: banner, page title or certificate name → product, version, CPE.

Fingerprints are data, never code: our own rules (``rules/*.xml``) and Rapid7 Recog's
database, imported at run time with ``rempart data import-fingerprints DIR``. Both use
Recog's XML format, read by :mod:`.recog` with Recog's semantics (Ruby regexes translated by
:mod:`.ruby_regex`). The service identification asks a :class:`FingerprintDB`::

    db = load_fingerprints()
    found = db.match("ssh.banner", "OpenSSH_7.4")   # FingerprintMatch | None
    found.product, found.version, found.cpe

A match rests on what a service said, never on its port number.
"""

from rempart.discover.fingerprints.db import (
    FingerprintDB,
    FingerprintMatch,
    FingerprintStats,
    default_recog_dir,
    load_fingerprints,
    load_own_rules,
)
from rempart.discover.fingerprints.recog import (
    MAX_MATCH_BREAKS,
    MAX_MATCH_CHARS,
    Example,
    Fingerprint,
    FingerprintFile,
    Param,
    bound_text,
    decode_bytes,
    parse_file,
    parse_xml,
    verify_example,
)
from rempart.discover.fingerprints.ruby_regex import RubyRegexError, compile_ruby, translate

__all__ = [
    "MAX_MATCH_BREAKS",
    "MAX_MATCH_CHARS",
    "Example",
    "Fingerprint",
    "FingerprintDB",
    "FingerprintFile",
    "FingerprintMatch",
    "FingerprintStats",
    "Param",
    "RubyRegexError",
    "bound_text",
    "compile_ruby",
    "decode_bytes",
    "default_recog_dir",
    "load_fingerprints",
    "load_own_rules",
    "parse_file",
    "parse_xml",
    "translate",
    "verify_example",
]
