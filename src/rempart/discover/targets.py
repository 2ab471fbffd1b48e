"""What the audit may scan: the user's targets, read and checked against the scope rules.

Scope is a safety boundary. By default only private addresses are scanned (RFC 1918,
loopback, link-local): a practice audits its own LAN, never somebody else's machines.
A public address needs ``--authorized`` (the person confirms they may scan it, and the
audit records it); more than 4,096 addresses need ``--large`` (a typo such as ``/8``
instead of ``/24`` must not start a scan of sixteen million hosts). Every refusal is one
line that says what is wrong and what to type instead.

Targets are written as nmap users expect: ``192.168.1.0/24``, ``192.168.1.1-20``,
``192.168.1.1-192.168.1.20``, ``192.168.1.5``, a host name, or ``auto`` (the subnets of
this computer's connected adapters, see :mod:`rempart.discover.netif`). Like nmap, a CIDR
includes its network and broadcast addresses.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from rempart.core.errors import ScopeError, UsageError
from rempart.discover import netif
from rempart.discover.netif import InterfaceReader
from rempart.i18n import _

LARGE_SCAN = 4096  # addresses; more needs --large
MAX_ADDRESSES = 65536  # addresses; never more, even with --large (a /16)
_MAX_TOKEN = 255
_MAX_TOKENS = 4096

# Scanned without --authorized: private (RFC 1918), loopback and link-local networks.
PRIVATE_NETWORKS: tuple[IPv4Network, ...] = tuple(
    IPv4Network(n)
    for n in ("10.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16")
)
# Never scanned: "this network", multicast and reserved (including 255.255.255.255).
NOT_HOSTS: tuple[IPv4Network, ...] = tuple(
    IPv4Network(n) for n in ("0.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4")
)

Resolver = Callable[[str], Sequence[str]]


@dataclass(frozen=True)
class TargetSet:
    """The addresses an audit will scan, and what the user asked for (kept in the audit)."""

    addresses: tuple[str, ...]  # IPv4, sorted numerically, no duplicates
    specs: tuple[str, ...]  # the targets as typed
    authorized: bool = False  # --authorized was given
    public: tuple[str, ...] = ()  # addresses outside private ranges (only with --authorized)
    auto_networks: tuple[str, ...] = ()  # what ``auto`` stood for, e.g. ("192.168.1.0/24",)

    def __len__(self) -> int:
        return len(self.addresses)


def is_private(address: str | IPv4Address) -> bool:
    """Whether an address may be scanned without ``--authorized``."""
    ip = IPv4Address(address) if isinstance(address, str) else address
    return any(ip in network for network in PRIVATE_NETWORKS)


def parse_targets(
    specs: Sequence[str],
    *,
    authorized: bool = False,
    large: bool = False,
    interfaces: InterfaceReader | None = None,
    resolver: Resolver | None = None,
) -> TargetSet:
    """Read targets, apply the scope rules, and return the addresses to scan.

    ``interfaces`` reads this computer's addresses for ``auto`` (default: ask the system);
    ``resolver`` turns a host name into IPv4 addresses (default: the system resolver).
    Raises :class:`UsageError` for a malformed target and :class:`ScopeError` for one the
    rules refuse (public without ``authorized``, too many addresses without ``large``).
    """
    given = tuple(s.strip() for s in specs if s and s.strip())
    tokens = [t for s in given for t in re.split(r"[\s,]+", s) if t]
    if not tokens:
        raise UsageError(
            _("No target given: name the network to audit, e.g. 192.168.1.0/24, or auto.")
        )
    if len(tokens) > _MAX_TOKENS:
        raise UsageError(
            _("Too many targets ({n}): group them into networks such as 192.168.1.0/24.").format(
                n=len(tokens)
            )
        )

    blocks: list[tuple[int, int, str]] = []
    auto: list[str] = []
    for token in tokens:
        if token.lower() == "auto":
            networks = netif.auto_networks((interfaces or netif.read_interfaces)())
            if not networks:
                raise UsageError(
                    _("auto found no local network on this computer (only loopback, link-local "
                      "or virtual adapters): give the network to audit, e.g. 192.168.1.0/24.")
                )  # fmt: skip
            for network in networks:
                auto.append(str(network))
                blocks.append((int(network[0]), int(network[-1]), f"auto ({network})"))
        else:
            blocks.extend(_parse_token(token, resolver or _resolve))

    merged = _merge((first, last) for first, last, _token in blocks)
    count = sum(last - first + 1 for first, last in merged)
    if count > MAX_ADDRESSES:
        raise UsageError(
            _("The targets cover {n} addresses: Rempart scans at most 65,536 (a /16). "
              "Give the subnets you mean, e.g. 192.168.1.0/24.").format(n=f"{count:,}")
        )  # fmt: skip
    if count > LARGE_SCAN and not large:
        raise ScopeError(
            _("The targets cover {n} addresses, more than 4,096: check the network size "
              "(a practice LAN is usually a /24) or add --large.").format(n=f"{count:,}")
        )  # fmt: skip

    for first, last, token in blocks:
        if _overlaps(first, last, NOT_HOSTS):
            raise UsageError(
                _("'{target}' includes {address}, which is not a host address (0.x.x.x, "
                  "multicast or reserved): give a private network such as 192.168.1.0/24.")
                .format(target=_echo(token), address=_first_in(first, last, NOT_HOSTS))
            )  # fmt: skip
        if not authorized:
            outside = _subtract((first, last), PRIVATE_NETWORKS)
            if outside:
                raise ScopeError(
                    _("'{target}' includes the public address {address}: Rempart scans only "
                      "private networks (10.x, 172.16-31.x, 192.168.x, 127.x, 169.254.x). If you "
                      "are allowed to scan it, add --authorized (it is recorded in the audit).")
                    .format(target=_echo(token), address=IPv4Address(outside[0][0]))
                )  # fmt: skip

    addresses = tuple(str(IPv4Address(i)) for first, last in merged for i in range(first, last + 1))
    public: tuple[str, ...] = ()
    if authorized:
        public = tuple(
            str(IPv4Address(i))
            for first, last in merged
            for low, high in _subtract((first, last), PRIVATE_NETWORKS)
            for i in range(low, high + 1)
        )
    return TargetSet(
        addresses=addresses,
        specs=given,
        authorized=authorized,
        public=public,
        auto_networks=tuple(auto),
    )


# --- one target ------------------------------------------------------------------------

_QUAD = r"\d{1,3}(?:\.\d{1,3}){3}"
_RANGE_LAST_OCTET = re.compile(rf"^({_QUAD})-(\d{{1,3}})$")
_RANGE_FULL = re.compile(rf"^({_QUAD})-({_QUAD})$")
_LOOKS_NUMERIC = re.compile(r"^[\d./-]+$")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$"
)


def _parse_token(token: str, resolver: Resolver) -> list[tuple[int, int, str]]:
    if len(token) > _MAX_TOKEN:
        raise UsageError(_("A target is too long ({n} characters).").format(n=len(token)))
    if "/" in token:
        try:
            network = IPv4Network(token, strict=False)
        except ValueError:
            raise _bad_target(token) from None
        return [(int(network[0]), int(network[-1]), token)]
    match = _RANGE_LAST_OCTET.match(token) or _RANGE_FULL.match(token)
    if match:
        start = _ip(match.group(1), token)
        end_text = match.group(2)
        if "." in end_text:
            end = _ip(end_text, token)
        else:
            last = int(end_text)
            if last > 255:
                raise _bad_target(token)
            end = IPv4Address((int(start) & 0xFFFFFF00) | last)
        if int(end) < int(start):
            raise UsageError(
                _("'{target}' is an empty range: the first address must come before the last, "
                  "e.g. 192.168.1.1-20.").format(target=_echo(token))
            )  # fmt: skip
        return [(int(start), int(end), token)]
    if _LOOKS_NUMERIC.match(token):
        ip = _ip(token, token)
        return [(int(ip), int(ip), token)]
    if not _HOSTNAME.match(token):
        raise _bad_target(token)
    resolved = sorted({int(_ip(a, token)) for a in resolver(token)})
    if not resolved:
        raise _unresolved(token)
    return [(value, value, token) for value in resolved]


def _resolve(name: str) -> list[str]:
    """IPv4 addresses of a host name, from the system resolver."""
    try:
        infos = socket.getaddrinfo(name, None, socket.AF_INET, socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise _unresolved(name) from None
    return [str(info[4][0]) for info in infos]


def _ip(text: str, token: str) -> IPv4Address:
    try:
        return IPv4Address(text)
    except ValueError:
        raise _bad_target(token) from None


def _bad_target(token: str) -> UsageError:
    return UsageError(
        _("'{target}' is not a valid target: write a network (192.168.1.0/24), a range "
          "(192.168.1.1-20), an address (192.168.1.5), a host name, or auto.")
        .format(target=_echo(token))
    )  # fmt: skip


def _unresolved(name: str) -> UsageError:
    return UsageError(
        _("Cannot find the address of '{name}': check the name, or give its IP address.").format(
            name=_echo(name)
        )
    )


def _echo(text: str, limit: int = 60) -> str:
    """The user's input, shortened and made printable, to quote it back in a message."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in text[:limit])
    return cleaned + ("…" if len(text) > limit else "")


# --- integer intervals of addresses ----------------------------------------------------


def _merge(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for first, last in sorted(intervals):
        if merged and first <= merged[-1][1] + 1:
            if last > merged[-1][1]:
                merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))
    return merged


def _subtract(interval: tuple[int, int], networks: Sequence[IPv4Network]) -> list[tuple[int, int]]:
    """The parts of ``interval`` outside every network, in order."""
    parts = [interval]
    for network in sorted(networks):
        low, high = int(network[0]), int(network[-1])
        rest: list[tuple[int, int]] = []
        for first, last in parts:
            if last < low or first > high:
                rest.append((first, last))
                continue
            if first < low:
                rest.append((first, low - 1))
            if last > high:
                rest.append((high + 1, last))
        parts = rest
    return parts


def _overlaps(first: int, last: int, networks: Sequence[IPv4Network]) -> bool:
    return any(first <= int(n[-1]) and last >= int(n[0]) for n in networks)


def _first_in(first: int, last: int, networks: Sequence[IPv4Network]) -> IPv4Address:
    starts = [max(first, int(n[0])) for n in networks if first <= int(n[-1]) and last >= int(n[0])]
    return IPv4Address(min(starts))


__all__ = [
    "LARGE_SCAN",
    "MAX_ADDRESSES",
    "NOT_HOSTS",
    "PRIVATE_NETWORKS",
    "InterfaceReader",
    "TargetSet",
    "is_private",
    "parse_targets",
]
