"""Version comparison for the versions Rempart actually meets on a practice's network.

Why our own comparator: a vulnerability is matched by comparing the version a device reports
with the ranges published in advisories (NVD ``cpeMatch``: ``versionStartIncluding`` ...
``versionEndExcluding``). The usual libraries get real-world versions wrong: ``packaging``
rejects OpenSSH's ``9.2p1``, ``univers`` compares unknown schemes as text (so ``2.4.9`` >
``2.4.49``). A wrong comparison is either a missed vulnerability or a false alarm, so the rules
below are written down, one per scheme, each with its source, and checked by a table of known
orderings and by property tests (``tests/vulns/test_versions.py``).

How it works: every version is turned into a *key*, a tuple of items ``(rank, number, text)``
ending with an END item. Keys are compared as plain tuples, which makes the order total and
transitive by construction, across schemes too. The ranks say how a part sorts against the
end of the version:

- pre-release words (``dev`` < ``alpha`` < ``beta`` < ``rc`` = ``pre``) sort *before* END, so
  ``1.0-rc1`` < ``1.0``;
- a semver pre-release takes the rank of its first word when it is one of those
  (``1.0.0-rc.1`` = ``1.0-rc1``), else a rank of its own before END, so ``1.0.0-x.7`` <
  ``1.0.0``;
- END;
- a group separator (DSM build number) sorts after END and before numbers, so ``7.2`` <
  ``7.2-64551`` < ``7.2.1-69057``;
- words (OpenSSH ``p``, OpenSSL letters, QTS ``build``, DSM ``update``) sort after END, so
  ``7.4`` < ``7.4p1`` and ``1.0.2`` < ``1.0.2a``;
- numbers sort last and compare as numbers, so ``2.4.9`` < ``2.4.49`` and ``1.0.2za`` <
  ``1.0.3``.

Trailing zeros of every run of numbers are dropped (``7.4`` = ``7.4.0``, ``1.0-rc1`` =
``1.0.0-rc1``). The schemes that share a shape produce the same key for it (a plain
``2.4.49`` gives the same key whatever the scheme), so versions auto-detected as different
schemes still compare sensibly: ``7.4`` (generic) < ``7.4p1`` (OpenSSH).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from rempart.core.errors import RempartError
from rempart.i18n import _

__all__ = [
    "MAX_LENGTH",
    "SCHEMES",
    "Version",
    "VersionError",
    "compare",
    "detect_scheme",
    "in_range",
    "parse_version",
    "split_distribution",
]

MAX_LENGTH = 128
"""Longest text accepted as a version; longer is not a version but noise (or an attack)."""

SCHEMES = ("openssh", "openssl", "qts", "dsm", "windows", "semver", "generic")


class VersionError(RempartError, ValueError):
    """A text that is not a version (empty, without a digit, too long, not text)."""


# --- items of a key -------------------------------------------------------------------------

Item = tuple[int, int, str]
Key = tuple[Item, ...]

# Pre-release words, by PEP 440 ("Pre-releases", "Pre-release spelling"):
# https://peps.python.org/pep-0440/#pre-releases ; dev releases sort before alpha
# (https://peps.python.org/pep-0440/#summary-of-permitted-suffixes-and-relative-ordering),
# "pre" and "preview" are spellings of "rc". OpenSSL uses "-pre1" (1.1.0-pre1) and
# "-alpha1"/"-beta1" (3.0.0-alpha1) before the final release:
# https://www.openssl.org/news/changelog.html
_SEMVER_NUMERIC_PRE = -1
_DEV, _ALPHA, _BETA, _RC = 0, 1, 2, 3
_SEMVER_PRE = 4
_END = 5
_GROUP = 6
_WORD = 7
_NUM = 8
_SEMVER_ALNUM_ID = 9

_PRE_WORDS = {
    "dev": _DEV,
    "alpha": _ALPHA,
    "beta": _BETA,
    "rc": _RC,
    "pre": _RC,
    "preview": _RC,
}
# Words that mean "the release itself" (Maven's ComparableVersion treats "ga", "final" and
# "release" as the release: https://maven.apache.org/pom.html#version-order-specification).
_RELEASE_WORDS = frozenset({"final", "ga", "release"})
_PRE_IDENT = re.compile(r"(?i)^(dev|alpha|beta|rc|pre|preview)([0-9]*)$")

END: Item = (_END, 0, "")
GROUP: Item = (_GROUP, 0, "")


def _num(n: int) -> Item:
    return (_NUM, n, "")


def _word(w: str) -> Item:
    return (_WORD, 0, w)


def _strip_zero_runs(items: list[Item]) -> list[Item]:
    """Drop trailing zeros of every run of numbers: ``7.4.0`` = ``7.4``, ``1.0-rc1`` = ``1-rc1``."""
    out: list[Item] = []
    run: list[Item] = []

    def flush() -> None:
        while run and run[-1][1] == 0:
            run.pop()
        out.extend(run)
        run.clear()

    for item in items:
        if item[0] == _NUM:
            run.append(item)
        else:
            flush()
            out.append(item)
    flush()
    return out


# --- the Version object ---------------------------------------------------------------------


@functools.total_ordering
@dataclass(frozen=True, eq=False)
class Version:
    """A parsed version: totally ordered by ``key``; ``text`` is what was given.

    ``scheme`` is the scheme whose grammar the text followed (``generic`` when it followed none
    of the others). ``build_known`` is False only for a QTS version without its build date,
    which :func:`in_range` treats as "any build of that version" (see there).
    """

    text: str
    scheme: str
    key: Key = field(repr=False)
    base_key: Key = field(repr=False)
    build_known: bool = field(default=True, repr=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.key == other.key

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.key < other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __str__(self) -> str:
        return self.text


# --- distribution suffixes ------------------------------------------------------------------

# What follows the upstream version after a space or "(" is a distribution or platform
# ("OpenSSH_9.2p1 Debian-2+deb12u3", "OpenSSH_7.8 FreeBSD-20180909", "Apache/2.4.58 (Win64)
# OpenSSL/3.1.3"), except the words that continue a version: QTS "build 20210428", DSM "Update
# 6", a pre-release ("1.0 beta 2"), an OpenSSH CPE update written apart ("7.4 p1").
_CONTINUATION = re.compile(
    r"(?i)^(build|update|rc|beta|alpha|pre|preview|dev|final|ga|release|p)(?![a-z])"
)
_BOUNDARY = re.compile(r"\s+|(?=\()")
_PARENS = re.compile(r"^\(([^()]*)\)$")
_WORD_END = re.compile(r"[\s(]")
# Markers of a packager's revision after "-", "+" or "~": Debian "-2+deb12u3", "~bpo11+1",
# Ubuntu "-4ubuntu2.18", Red Hat "-21.el7_4", Fedora ".fc39", OpenSSL "-fips"
# (Debian policy 5.6.12 "Version": https://www.debian.org/doc/debian-policy/ch-controlfields.html).
_DISTRO_MARK = re.compile(
    r"(?i)(debian|ubuntu|raspbian|deb\d|bpo\d|[._-]el\d|\bel\d|\.fc\d|fips|freebsd|netbsd"
    r"|centos|rhel|suse|sles|alpine|\.amzn|mga\d|\+b\d|\d*ubuntu|mariadb|-log$)"
)
_SPLIT_LIMIT = 4 * MAX_LENGTH
_PLAIN = re.compile(r"[0-9]{1,20}(?:\.[0-9]{1,20}){0,5}", re.ASCII)  # under MAX_LENGTH
_SPACES = re.compile(r"\s+")
_DIGIT = re.compile(r"[0-9]")
_TOKENS = re.compile(r"[0-9]+|[a-z]+")
_DIGIT_RUN = re.compile(r"[0-9]+")
_EPOCH = re.compile(r"^[0-9]{1,9}:(?=[vV]?[0-9])")
# A product name before the version: "OpenSSH_", "Apache/", "OpenSSL ", "DSM ", "QTS ".
_PRODUCT_PREFIX = re.compile(r"^(?:[A-Za-z][A-Za-z-]*[ _/]+)+(?=[vVhH]?[0-9])")
_LEADING_V = re.compile(r"^[vV](?=[0-9])")


def split_distribution(text: str) -> tuple[str, str | None]:
    """Split ``"9.2p1 Debian-2+deb12u3"`` into ``("9.2p1", "Debian-2+deb12u3")``.

    Why: a distribution backports security fixes without changing the upstream number
    (Debian's ``9.2p1-2+deb12u3`` is patched, upstream ``9.2p1`` is not), so the comparison
    uses the upstream version only and the suffix is kept for the caller to say "probably
    patched". Whatever follows the version after a space or "(" is a suffix (``Debian-…``,
    ``FreeBSD-…``, ``(Ubuntu)``, ``(Win64) OpenSSL/3.1.3``, ``Service Pack 1``) except the
    words that continue a version (``build 20210428``, ``Update 6``, ``beta 2``, ``p1``); so
    is a package revision holding a distribution marker (``9.2p1-2+deb12u3``,
    ``7.4p1-21.el7``, ``1.0.2k-fips``, ``4.13.13-Debian``). A Debian epoch (``1:``) and a
    product name before the version (``OpenSSH_``, ``Apache/``, ``DSM ``) are dropped. The
    suffix is ``None`` when there is none. Never raises on a string.
    """
    s = text.strip()
    suffix: str | None = None
    if len(s) > _SPLIT_LIMIT:
        return s, None  # noise, not a banner; parse_version rejects it as too long
    s = _PRODUCT_PREFIX.sub("", s, count=1)
    s = _EPOCH.sub("", s, count=1)
    # The version is the first word and the words that continue it; the rest is a suffix.
    after_word = False
    for boundary in _BOUNDARY.finditer(s):
        if boundary.start() == 0:
            continue
        rest = s[boundary.end() :]
        word = _WORD_END.split(rest, maxsplit=1)[0]
        continuation = _CONTINUATION.match(word)
        if continuation:
            after_word = continuation.end() == len(word)
            continue
        if after_word and word[:1].isdigit():
            after_word = False
            continue
        tail = rest.strip()
        paren = _PARENS.match(tail)
        suffix = (paren.group(1).strip() if paren else tail) or None
        s = s[: boundary.start()]
        break
    # A packager's revision holding a distribution marker: it starts after the last "-"
    # before the first marker (Debian policy: the revision follows the last hyphen), or after
    # a "+" or "~" when there is no hyphen ("1.2.3+deb10u1").
    mark = _DISTRO_MARK.search(s)
    if mark:
        head = s[: mark.start() + 1]
        cut = head.rfind("-")
        if cut <= 0:
            cut = max(head.rfind("+"), head.rfind("~"))
        if cut > 0 and _DIGIT.search(s[:cut]):
            rest = s[cut + 1 :]
            suffix = rest if suffix is None else f"{rest} {suffix}"
            s = s[:cut]
    s = _LEADING_V.sub("", s.strip(), count=1)
    return s, suffix


# --- detection ------------------------------------------------------------------------------

_I = re.IGNORECASE | re.ASCII
# QNAP QTS / QuTS hero: "4.5.3.1652 build 20210428", "h5.0.1.2248"
# (QNAP advisories, e.g. QSA-21-13: "QTS 4.5.3.1652 build 20210428 and later"). The QuTS hero
# "h" is dropped: hero and QTS are told apart by the product (CPE), not by the version.
_QTS_DETECT = re.compile(
    r"^(h\d+(\.\d+){3}([\s_:-]*build[\s_:-]*\d{8})?|\d+(\.\d+){3}[\s_:-]*build[\s_:-]*\d{8})$", _I
)
_QTS = re.compile(r"^h?(?P<rel>\d+(?:\.\d+)*)(?:[\s_:-]*build[\s_:-]*(?P<date>\d+))?$", _I)
# Synology DSM: "7.1.1-42962 Update 6", advisories also write "7.1.1-42962-6"
# (Synology-SA-22:xx "Upgrade to 7.1.1-42962-6 or above"; release notes
# https://www.synology.com/releaseNote/DSM use "Version: 7.1.1-42962 Update 6").
_DSM_DETECT = re.compile(
    r"^\d+\.\d+(\.\d+)?(-\d{4,6}((-|[\s_:-]*update[\s_:-]*)\d+)?|(-\d{4,6})?[\s_:-]*update[\s_:-]*\d+)$",
    _I,
)
_DSM = re.compile(
    r"^(?P<rel>\d+(?:\.\d+)*)(?:-(?P<build>\d+))?(?:(?:-|[\s_:-]*update[\s_:-]*)(?P<upd>\d+))?$", _I
)
# Windows: major.minor.build[.revision], e.g. 6.1.7601, 10.0.19045.4529 (build and revision,
# "UBR", are numbers: https://learn.microsoft.com/en-us/windows/release-health/release-information).
# A build without its revision (10.0.19045) is revision 0, the earliest: compared with a fixed
# revision it is unpatched, which is what a scanner that only sees the build must assume.
_WINDOWS_DETECT = re.compile(r"^(5|6|10)\.\d+\.\d{4,5}(\.\d+)?$", re.ASCII)
_WINDOWS = re.compile(r"^\d+(\.\d+)*$", re.ASCII)
# OpenSSH portable: "7.4p1" (https://www.openssh.com/portable.html: "pN" is the N-th portable
# release of OpenBSD's 7.4, which itself has no suffix).
_OPENSSH_DETECT = re.compile(r"^\d+\.\d+(\.\d+)?p\d+$", _I)
_OPENSSH = re.compile(r"^\d+(\.\d+)*(p\d+)?$", _I)
# OpenSSL letter releases: 1.0.2 < 1.0.2a < ... < 1.0.2z < 1.0.2za < ... < 1.0.2zk
# (https://www.openssl.org/news/vulnerabilities-1.0.2.html lists fixes "in 1.0.2za").
_OPENSSL_DETECT = re.compile(r"^\d+\.\d+\.\d+[a-z]{1,2}$", _I)
_OPENSSL = re.compile(r"^\d+(\.\d+)*[a-z]{0,2}([-_]?(pre|alpha|beta|rc|dev)\d*)?$", _I)
# Semantic Versioning 2.0.0 (https://semver.org/#spec-item-9 to 11).
_SEMVER_DETECT = re.compile(
    r"^\d+\.\d+\.\d+(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$",
    re.ASCII,
)
_SEMVER = re.compile(
    r"^(?P<rel>\d+(?:\.\d+)*)(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+(?P<meta>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$",
    re.ASCII,
)

_DETECTORS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("qts", _QTS_DETECT),
    ("dsm", _DSM_DETECT),
    ("windows", _WINDOWS_DETECT),
    ("openssh", _OPENSSH_DETECT),
    ("openssl", _OPENSSL_DETECT),
    ("semver", _SEMVER_DETECT),
)


def _clean(text: object) -> str:
    """Validate and return the upstream version text, or raise :class:`VersionError`."""
    if not isinstance(text, str):
        raise VersionError(
            _("A version must be text, not {kind}.").format(kind=type(text).__name__)
        )
    if len(text) > MAX_LENGTH:
        raise VersionError(
            _("{start!r}… is not a version: more than {n} characters.").format(
                start=text[:20], n=MAX_LENGTH
            )
        )
    upstream, _suffix = split_distribution(text)
    if not _DIGIT.search(upstream):
        raise VersionError(_("{text!r} is not a version: it holds no number.").format(text=text))
    return upstream


def detect_scheme(text: str) -> str:
    """The scheme ``text`` looks like, ``"generic"`` when none fits (distribution suffix ignored).

    Detection is by shape only (``7.4p1`` → openssh, ``1.0.2k`` → openssl, ``… build
    20210428`` → qts, ``7.1.1-42962`` → dsm, ``10.0.19045.4529`` → windows, ``x.y.z[-pre]``
    → semver). A plain ``2.4.49`` is "semver", which gives it the same key as any other scheme.
    """
    return _parse(text, None).scheme


def _detect(upstream: str) -> str:
    for name, pattern in _DETECTORS:
        if pattern.match(upstream):
            return name
    return "generic"


# --- parsing --------------------------------------------------------------------------------


def _generic_items(text: str) -> list[Item]:
    """Numeric and alphabetic runs; anything else separates. Trailing zeros of runs dropped."""
    items: list[Item] = []
    for tok in _TOKENS.findall(text.lower()):
        if tok[0].isdigit():
            items.append(_num(int(tok)))
        elif tok in _PRE_WORDS:
            items.append((_PRE_WORDS[tok], 0, ""))
        elif tok in _RELEASE_WORDS:
            continue
        else:
            items.append(_word(tok))
    return _strip_zero_runs(items)


def _release(rel: str) -> list[Item]:
    return _strip_zero_runs([_num(int(p)) for p in rel.split(".")])


def _natural(ident: str) -> str:
    """A sort string for a semver identifier where digit runs compare as numbers.

    Deviation from semver item 11 (pure ASCII order) so that ``rc9`` < ``rc10``, as every
    project that writes ``-rc10`` means; it agrees with ASCII whenever digit runs have the
    same length. Each digit run becomes its length (3 digits) then the digits.
    """

    def encode(m: re.Match[str]) -> str:
        digits = m.group().lstrip("0") or "0"
        return f"{len(digits):03d}{digits}"

    return _DIGIT_RUN.sub(encode, ident)


def _semver_key(m: re.Match[str]) -> list[Item]:
    """Release numbers, then the pre-release identifiers (semver items 9 and 11).

    A pre-release that starts with a known word (``alpha``, ``beta.2``, ``rc1``) is keyed like
    the generic scheme keys it, so ``1.0.0-beta.2`` = ``1.0-beta2`` and OpenSSL's
    ``3.0.0-alpha1`` < ``3.0.0-beta1`` whichever scheme reads them; this orders ``dev`` before
    ``alpha`` (PEP 440) where pure ASCII would put it after ``beta``. A numeric first
    identifier sorts before any word (item 11: numeric < alphanumeric), another word after
    ``rc``. Numeric identifiers compare as numbers and sort before alphanumeric ones.
    """
    items = _release(m.group("rel"))
    pre = m.group("pre")
    if pre:
        idents = pre.split(".")
        pre_items: list[Item] = []
        known = _PRE_IDENT.match(idents[0])
        if known:
            pre_items.append((_PRE_WORDS[known.group(1).lower()], 0, ""))
            if known.group(2):
                pre_items.append(_num(int(known.group(2))))
            idents = idents[1:]
        elif idents[0].isdigit():
            pre_items.append((_SEMVER_NUMERIC_PRE, 0, ""))
        else:
            pre_items.append((_SEMVER_PRE, 0, ""))
        for ident in idents:
            if ident.isdigit():
                pre_items.append(_num(int(ident)))
            else:
                pre_items.append((_SEMVER_ALNUM_ID, 0, _natural(ident)))
        items += _strip_zero_runs(pre_items)
    # Build metadata (after "+") does not take part in precedence (semver item 10).
    return items


def _parse_as(upstream: str, scheme: str) -> tuple[list[Item], list[Item], bool] | None:
    """(key, base, build known) under ``scheme``'s grammar, or None when the text does not fit."""
    if scheme == "qts":
        m = _QTS.match(upstream)
        if not m:
            return None
        base = _release(m.group("rel"))
        date = m.group("date")
        if date is None:
            return base, base, False
        return [*base, _word("build"), _num(int(date))], base, True
    if scheme == "dsm":
        m = _DSM.match(upstream)
        if not m:
            return None
        items = _release(m.group("rel"))
        if m.group("build") is not None:
            items += [GROUP, _num(int(m.group("build")))]
        upd = int(m.group("upd")) if m.group("upd") is not None else 0
        if upd:
            items += [_word("update"), _num(upd)]
        return items, items, True
    if scheme == "semver":
        m = _SEMVER.match(upstream)
        if not m:
            return None
        items = _semver_key(m)
        return items, items, True
    grammar = {"openssh": _OPENSSH, "openssl": _OPENSSL, "windows": _WINDOWS}.get(scheme)
    if grammar is not None and not grammar.match(upstream):
        return None
    items = _generic_items(upstream)
    return items, items, True


def _parse(text: str, scheme: str | None) -> Version:
    if not isinstance(text, str):
        raise VersionError(
            _("A version must be text, not {kind}.").format(kind=type(text).__name__)
        )
    if scheme is not None and scheme not in SCHEMES:
        raise VersionError(
            _("Unknown version scheme {scheme!r}; use one of: {schemes}.").format(
                scheme=scheme, schemes=", ".join(SCHEMES)
            )
        )
    return _parse_cached(text, scheme)


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str, scheme: str | None) -> Version:
    """Parsing is pure, and a feed compares the same few versions thousands of times."""
    if _PLAIN.fullmatch(text) and scheme not in ("qts", "dsm"):
        # Fast path for the common plain dotted number (2.4.49, 10.0.19045.4529): the same
        # key every scheme but QTS and DSM would give it.
        items = _release(text)
        key = (*items, END)
        return Version(text=text, scheme=scheme or _detect(text), key=key, base_key=key)
    upstream = _clean(text)
    if scheme is None:
        scheme = _detect(upstream)
    parsed = _parse_as(upstream, scheme)
    if parsed is None:
        # The text does not follow the announced scheme's grammar: compare it as generic
        # rather than fail, since advisories are written by hand.
        scheme = "generic"
        parsed = _parse_as(upstream, scheme)
        assert parsed is not None
    items, base, build_known = parsed
    return Version(
        text=text,
        scheme=scheme,
        key=(*items, END),
        base_key=(*base, END),
        build_known=build_known,
    )


def parse_version(text: str, scheme: str | None = None) -> Version:
    """Parse ``text`` as a version of ``scheme`` (auto-detected when None).

    Raises :class:`VersionError` when ``text`` is not a version: not a string, empty, without
    a digit, or longer than :data:`MAX_LENGTH`; or when ``scheme`` is unknown. A text that
    does not fit the given scheme's grammar is parsed as generic (``Version.scheme`` says so).
    A distribution suffix (``Debian-2+deb12u3``) is ignored: see :func:`split_distribution`.
    """
    return _parse(text, scheme)


def compare(a: str, b: str, scheme: str | None = None) -> int:
    """-1, 0 or 1 as ``a`` is older than, the same as, or newer than ``b``.

    With ``scheme=None`` each side is parsed with its own detected scheme, so ``compare`` is
    the order of :class:`Version` (total and transitive); schemes agree on shared shapes.
    """
    va, vb = _parse(a, scheme), _parse(b, scheme)
    return (va.key > vb.key) - (va.key < vb.key)


# --- ranges ---------------------------------------------------------------------------------


def _joint_scheme(texts: list[str]) -> str | None:
    """One scheme for a version and its bounds: the only specific one among them, else None."""
    found = {_parse(t, None).scheme for t in texts}
    specific = found - {"generic", "semver"}
    if len(specific) == 1:
        return specific.pop()
    return None


def _range_cmp(v: Version, bound: Version) -> int:
    # QTS: a version without its build date is "some build of that version": against a bound
    # with a build date it compares on the version alone (unknown = equal), and likewise a
    # bound without a date covers every build. This is the only place where a missing part
    # means "unknown" rather than "earliest": compare() stays a total order.
    if v.build_known != bound.build_known:
        a, b = v.base_key, bound.base_key
    else:
        a, b = v.key, bound.key
    return (a > b) - (a < b)


def in_range(
    version: str,
    *,
    start_including: str | None = None,
    start_excluding: str | None = None,
    end_including: str | None = None,
    end_excluding: str | None = None,
    scheme: str | None = None,
) -> bool:
    """Whether ``version`` lies within the bounds, with the NVD ``cpeMatch`` semantics.

    Each given bound must hold (``versionStartIncluding`` ≤ v, ``versionStartExcluding`` < v,
    v ≤ ``versionEndIncluding``, v < ``versionEndExcluding``:
    https://nvd.nist.gov/developers/vulnerabilities, "cpeMatch"); with no bound at all every
    version is in range. With ``scheme=None`` one scheme is chosen for the version and its
    bounds together (so ``4.5.3.1652`` is read as QTS next to ``4.5.3.1652 build 20210428``).
    For QTS, a missing build date on either side means "unknown build" and compares equal
    on the build (see :func:`_range_cmp`). Raises :class:`VersionError` on a bad version or
    bound.
    """
    bounds = [start_including, start_excluding, end_including, end_excluding]
    texts = [version, *(b for b in bounds if b is not None)]
    # Plain dotted numbers get the same key under every scheme they can be detected as (never
    # QTS or DSM, whose shapes need a build or an update): no joint scheme to find.
    if scheme is None and not all(isinstance(t, str) and _PLAIN.fullmatch(t) for t in texts):
        scheme = _joint_scheme(texts)
    v = _parse(version, scheme)

    def cmp(bound: str) -> int:
        return _range_cmp(v, _parse(bound, scheme))

    if start_including is not None and cmp(start_including) < 0:
        return False
    if start_excluding is not None and cmp(start_excluding) <= 0:
        return False
    if end_including is not None and cmp(end_including) > 0:
        return False
    return not (end_excluding is not None and cmp(end_excluding) >= 0)
