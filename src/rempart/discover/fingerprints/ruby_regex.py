"""Translate a Ruby (Onigmo) regular expression, as written in Recog's XML, into Python ``re``.

Recog's patterns are Ruby regexes and its flags map to Ruby options, so a naive
``re.compile(pattern)`` gets most of them right and quietly mis-reads the rest. What differs:

* ``^`` and ``$`` are always line anchors in Ruby: we always compile with ``re.MULTILINE``,
  and ``^`` does not match at the very end after a final newline;
* Ruby's ``m`` option (Recog's ``REG_MULTILINE``, ``REG_DOT_NEWLINE``, ``REG_LINE_ANY_CRLF``,
  and inline ``(?m)``) lets ``.`` match a newline: that is Python's ``re.DOTALL`` / ``(?s)``;
* ``\\Z`` in Ruby also matches before a final newline (Python: ``(?=\\n?\\Z)``); Ruby's ``\\z``
  is Python's ``\\Z``; ``\\h`` is a hex digit; ``\\d``, ``\\w``, ``\\s`` are ASCII-only;
* ``(?<name>...)`` is ``(?P<name>...)``, and when a pattern has named groups, Ruby's plain
  ``(...)`` groups do not capture;
* an inline option group ``(?i)`` applies up to the end of the enclosing group, alternatives
  included (Python 3.11 only accepts global flags at the very start): it becomes ``(?i:...)``;
* POSIX brackets (``[[:alpha:]]``), nested classes and one-digit ``\\xH`` escapes;
* ``(X+)*`` (exponential in Python on a near miss) is read as the equivalent ``(X+)?``.

What cannot be translated faithfully (``\\G``, ``\\K``, ``\\p{...}``, class intersections,
``{n,m}+``) raises :class:`RubyRegexError`; the caller skips that fingerprint.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from functools import cache

__all__ = ["RubyRegexError", "compile_ruby", "flags_for", "translate"]


class RubyRegexError(ValueError):
    """The pattern uses a Ruby construct that has no faithful Python equivalent."""


# Recog flag names (lib/recog/fingerprint/regexp_factory.rb) → Python flags.
_FLAG_MAP = {
    "REG_ICASE": re.IGNORECASE,
    "REG_DOT_NEWLINE": re.DOTALL,
    "REG_LINE_ANY_CRLF": re.DOTALL,
    "REG_MULTILINE": re.DOTALL,  # Ruby's Regexp::MULTILINE: "." matches "\n"
}

_SPACE = " \\t\\n\\v\\f\\r"
_WORD = "a-zA-Z0-9_"
_HEX = "0-9a-fA-F"

# Escapes outside a character class.
_OUTSIDE = {
    "d": "[0-9]",
    "D": "[^0-9]",
    "w": f"[{_WORD}]",
    "W": f"[^{_WORD}]",
    "s": f"[{_SPACE}]",
    "S": f"[^{_SPACE}]",
    "h": f"[{_HEX}]",
    "H": f"[^{_HEX}]",
    "z": "\\Z",
    "Z": "(?=\\n?\\Z)",
    "A": "\\A",
    "e": "\\x1b",
    "R": "(?:\\r\\n|[\\n\\v\\f\\r\\x85\\u2028\\u2029])",
}
# Escapes inside a character class (only the positive ones can be inlined).
_INSIDE = {"d": "0-9", "w": _WORD, "s": _SPACE, "h": _HEX, "e": "\\x1b"}
# POSIX brackets are Unicode-aware in Ruby ([[:alpha:]] matches "é"); the ones whose
# Unicode sets Python can compute are expanded from these predicates (see _posix_class),
# the others keep their ASCII meaning.
_POSIX_UNICODE: dict[str, Callable[[str], bool]] = {
    "alpha": str.isalpha,
    "digit": str.isdecimal,
    "alnum": lambda c: c.isalpha() or c.isdecimal(),
    "upper": str.isupper,
    "lower": str.islower,
    "space": str.isspace,
    "word": lambda c: c.isalpha() or c.isdecimal() or c == "_",
}
_POSIX = {
    "blank": " \\t",
    "xdigit": _HEX,
    "punct": "!-/:-@\\[-`{-~",
    "cntrl": "\\x00-\\x1f\\x7f",
    "print": "\\x20-\\x7e",
    "graph": "\\x21-\\x7e",
    "ascii": "\\x00-\\x7f",
}
_UNSUPPORTED = {"G": "\\G", "K": "\\K", "p": "\\p{...}", "P": "\\P{...}", "X": "\\X"}
# Escapes Python's re understands as they are (besides digits, handled separately).
_PYTHON_ESCAPES = set("abBfnrtv")
_INLINE_FLAGS = {"i": "i", "m": "s", "x": "x"}
# Ruby's ^: the start of the text or of a line, but not the end of the text after a final
# newline ("a\n" =~ /\n^/ is nil), where Python's MULTILINE ^ also matches.
_LINE_START = "(?:\\A|(?<=\\n)(?!\\Z))"
# A group holding only one greedy "X+" over a wide atom (".", "\\S", "[...]"), itself
# repeated greedily by "*" or "+" (not lazily, not possessively).
_NESTED_REPEAT = re.compile(r"\((?:\?:)?(?:\.|\\[dDwWsShH]|\[(?:\\.|[^\]\\])+\])\+\)([*+])(?![?+])")
_INTERVAL = re.compile(r"\{(\d*)(,?)(\d*)\}")
_NAMED_GROUP = re.compile(r"\(\?(?:<[A-Za-z_]|'[A-Za-z_])")


@cache
def _posix_class(name: str) -> str:
    """The ranges, as class content, of the code points below U+10000 that satisfy the
    Unicode predicate of POSIX bracket ``name`` (computed once, on first use)."""
    predicate = _POSIX_UNICODE[name]
    parts: list[str] = []
    start: int | None = None
    for code in range(0x10001):
        inside = code < 0x10000 and predicate(chr(code))
        if inside and start is None:
            start = code
        elif not inside and start is not None:
            end = code - 1
            parts.append(f"\\u{start:04x}" + (f"-\\u{end:04x}" if end > start else ""))
            start = None
    return "".join(parts)


def flags_for(names: str | None) -> int:
    """Python flags for a Recog ``flags`` attribute (``"REG_ICASE,REG_DOT_NEWLINE"``)."""
    value = re.MULTILINE
    for raw in (names or "").split(","):
        name = raw.strip()
        if not name:
            continue
        if name not in _FLAG_MAP:
            raise RubyRegexError(f"unsupported regular expression flag {name!r}")
        value |= _FLAG_MAP[name]
    return value


def _hex_escape(pattern: str, i: int) -> tuple[str, int]:
    """``\\xH`` or ``\\xHH`` starting at ``pattern[i] == 'x'``; returns (python, next index)."""
    digits = ""
    j = i + 1
    while j < len(pattern) and len(digits) < 2 and pattern[j] in "0123456789abcdefABCDEF":
        digits += pattern[j]
        j += 1
    if not digits:
        raise RubyRegexError("\\x without hex digits")
    return f"\\x{int(digits, 16):02x}", j


def _unicode_escape(pattern: str, i: int) -> tuple[str, int]:
    """``\\uHHHH`` or ``\\u{H...}`` starting at ``pattern[i] == 'u'``."""
    if pattern.startswith("{", i + 1):
        end = pattern.find("}", i + 2)
        if end < 0:
            raise RubyRegexError("unterminated \\u{...}")
        parts = pattern[i + 2 : end].split()
        if len(parts) != 1:
            raise RubyRegexError("\\u{...} with several code points")
        return f"\\U{int(parts[0], 16):08x}", end + 1
    return "\\u", i + 1


def _escape(pattern: str, i: int, in_class: bool) -> tuple[str, int]:
    """Translate the escape whose letter is at ``pattern[i]`` (just after the backslash)."""
    if i >= len(pattern):
        raise RubyRegexError("pattern ends with a backslash")
    c = pattern[i]
    if c in _UNSUPPORTED:
        raise RubyRegexError(f"{_UNSUPPORTED[c]} has no Python equivalent")
    if c == "x":
        return _hex_escape(pattern, i)
    if c == "g" and pattern.startswith(("<", "'"), i + 1):
        raise RubyRegexError("subexpression calls (\\g<name>) have no Python equivalent")
    if c == "c":
        if i + 1 >= len(pattern):
            raise RubyRegexError("too short control escape \\c")
        return f"\\x{ord(pattern[i + 1]) & 0x1F:02x}", i + 2
    if c == "u":
        return _unicode_escape(pattern, i)
    if in_class and c in _INSIDE:
        return _INSIDE[c], i + 1
    if in_class and c in "DWS":
        return "\\" + c, i + 1  # Python's (Unicode) negations: close enough inside a class
    if in_class and c in "HAzZ":
        raise RubyRegexError(f"\\{c} inside a character class is not supported")
    if not in_class and c in _OUTSIDE:
        return _OUTSIDE[c], i + 1
    if not in_class and c == "k" and pattern.startswith("<", i + 1):
        end = pattern.find(">", i + 2)
        if end < 0:
            raise RubyRegexError("unterminated \\k<name>")
        return f"(?P={pattern[i + 2 : end]})", end + 1
    if c.isdigit():
        if in_class or c == "0":
            j = i
            while j < len(pattern) and j < i + 3 and pattern[j] in "01234567":
                j += 1
            if j == i:
                raise RubyRegexError(f"bad escape \\{c}")
            return f"\\x{int(pattern[i:j], 8) & 0xFF:02x}", j
        return "\\" + c, i + 1  # back-reference
    if c.isascii() and c.isalpha() and c not in _PYTHON_ESCAPES:
        return re.escape(c), i + 1  # Ruby reads an unknown letter escape as the letter
    return "\\" + c, i + 1


def _class(pattern: str, i: int) -> tuple[str, int]:
    """Translate the character class opening at ``pattern[i] == '['``; returns (python, next)."""
    out = ["["]
    i += 1
    if pattern.startswith("^", i):
        out.append("^")
        i += 1
    first = True
    while i < len(pattern):
        c = pattern[i]
        if c == "]" and not first:
            out.append("]")
            return "".join(out), i + 1
        if c == "\\":
            text, i = _escape(pattern, i + 1, in_class=True)
            out.append(text)
        elif c == "[" and pattern.startswith("[:", i):
            end = pattern.find(":]", i + 2)
            name = pattern[i + 2 : end] if end > 0 else ""
            if name in _POSIX_UNICODE:
                out.append(_posix_class(name))
            elif name in _POSIX:
                out.append(_POSIX[name])
            else:
                raise RubyRegexError(f"unsupported POSIX bracket [:{name}:]")
            i = end + 2
        elif c == "[":
            if pattern.startswith("[^", i):
                raise RubyRegexError("negated nested character class")
            inner, i = _class(pattern, i)
            out.append(inner[1:-1])  # a nested class is a union: flatten it
        elif c == "&" and pattern.startswith("&&", i):
            raise RubyRegexError("character class intersection (&&)")
        elif c in "|~&":
            out.append("\\" + c)  # Python warns about doubled set operators
            i += 1
        else:
            out.append(c)
            i += 1
        first = False
    raise RubyRegexError("unterminated character class")


def _inline_flags(letters: str) -> str:
    """Ruby option letters (``"mi-x"``) → Python ones (``"si-x"``)."""
    on, _, off = letters.partition("-")
    for letter in on + off:
        if letter not in _INLINE_FLAGS:
            raise RubyRegexError(f"unsupported inline option {letter!r}")
    py_on = "".join(_INLINE_FLAGS[c] for c in on)
    py_off = "".join(_INLINE_FLAGS[c] for c in off)
    return py_on + (f"-{py_off}" if py_off else "")


def translate(pattern: str) -> str:
    """The Python ``re`` spelling of the Ruby regex ``pattern`` (see the module docstring)."""
    named = _NAMED_GROUP.search(pattern) is not None
    out: list[str] = []
    pending = [0]  # per open group: inline-option groups to close with it
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            text, i = _escape(pattern, i + 1, in_class=False)
            out.append(text)
        elif c == "[":
            text, i = _class(pattern, i)
            out.append(text)
        elif c == "(":
            nested = _NESTED_REPEAT.match(pattern, i)
            if nested:
                # (X+)* tries every way to split a run of X: exponential on a near miss.
                # It matches what (X+)? matches, with the same capture at the first
                # success (each total length is first reached by a single iteration).
                at = nested.end() - 1
                pattern = pattern[:at] + ("?" if nested.group(1) == "*" else "") + pattern[at + 1 :]
                n = len(pattern)
            if pattern.startswith("(?#", i):
                end = pattern.find(")", i)
                if end < 0:
                    raise RubyRegexError("unterminated comment group")
                i = end + 1
                continue
            if pattern.startswith("(?<", i) and not pattern.startswith(("(?<=", "(?<!"), i):
                out.append("(?P<")
                i += 3
            elif pattern.startswith("(?'", i):
                end = pattern.find("'", i + 3)
                if end < 0:
                    raise RubyRegexError("unterminated group name")
                out.append(f"(?P<{pattern[i + 3 : end]}>")
                i = end + 1
            elif pattern.startswith("(?", i):
                m = re.compile(r"\(\?([imx]*(?:-[imx]*)?)([:)])").match(pattern, i)
                if m and m.group(1):
                    flags = _inline_flags(m.group(1))
                    if m.group(2) == ")":
                        # Onigmo: "a(?i)b|c" is "a(?i:b|c)", up to the enclosing group's end.
                        out.append(f"(?{flags}:")
                        pending[-1] += 1
                        i = m.end()
                        continue
                    out.append(f"(?{flags}:")
                    i = m.end()
                elif pattern.startswith("(?(", i):
                    raise RubyRegexError("conditional groups are not supported")
                else:
                    out.append(pattern[i : i + 3])
                    i += 3
            elif named:
                out.append("(?:")  # with named groups, Ruby's plain groups do not capture
                i += 1
            else:
                out.append("(")
                i += 1
            pending.append(0)
        elif c == ")":
            if len(pending) < 2:
                raise RubyRegexError("unbalanced parenthesis")
            out.append(")" * pending.pop())
            out.append(")")
            i += 1
        elif c == "{":
            m = _INTERVAL.match(pattern, i)
            if m and (m.group(1) or m.group(3)):
                if pattern.startswith("+", m.end()):
                    raise RubyRegexError("{n,m}+ (a repeated interval) is not supported")
                out.append(m.group(0))
                i = m.end()
            else:
                out.append("\\{")
                i += 1
        elif c == "}":
            out.append("\\}")
            i += 1
        elif c == "^":
            out.append(_LINE_START)
            i += 1
        else:
            out.append(c)
            i += 1
    if len(pending) != 1:
        raise RubyRegexError("unbalanced parenthesis")
    out.append(")" * pending[0])
    return "".join(out)


@cache
def compile_ruby(pattern: str, flags: str | None = None) -> re.Pattern[str]:
    """Compile a Recog pattern with its Recog ``flags`` attribute (cached)."""
    python = translate(pattern)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return re.compile(python, flags_for(flags))
        except re.error as exc:
            raise RubyRegexError(f"{exc} (translated to {python!r})") from exc
