"""Binding the lab's sockets, with the documented port offset when not root.

A port below 1024 needs privileges: when binding it raises :class:`PermissionError`, the
lab binds ``port + PORT_OFFSET`` instead and records the port it got. The binder is a
parameter so that tests can play an ordinary user while running as root.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable

from rempart.core.errors import LabError
from rempart.i18n import _
from rempart.lab.practice import PORT_OFFSET

Binder = Callable[[str, int, int], socket.socket]  # (address, port, SOCK_STREAM|SOCK_DGRAM)


def default_binder(address: str, port: int, kind: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, kind)
    try:
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        if kind == socket.SOCK_STREAM:
            sock.listen(128)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def unprivileged_binder(address: str, port: int, kind: int) -> socket.socket:
    """Behaves like an ordinary user's bind: ports below 1024 are refused."""
    if port < 1024:
        raise PermissionError(errno.EACCES, "Permission denied")
    return default_binder(address, port, kind)


def bind(binder: Binder, address: str, port: int, kind: int) -> tuple[socket.socket, int]:
    """(socket, port actually bound); a busy address is a :class:`LabError` with the fix."""
    transport = "udp" if kind == socket.SOCK_DGRAM else "tcp"
    try:
        try:
            return binder(address, port, kind), port
        except PermissionError:
            if port >= 1024:
                raise
            return binder(address, port + PORT_OFFSET, kind), port + PORT_OFFSET
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise LabError(
                _(
                    "The demo practice cannot listen on {where}: the address is already in use "
                    "(another lab still running?). Stop it with `rempart lab down`."
                ).format(where=f"{address}:{port}/{transport}")
            ) from exc
        if exc.errno == errno.EADDRNOTAVAIL:
            raise LabError(
                _(
                    "The address {address} is not available on this computer: the demo practice "
                    "needs the loopback range 127.42.0.0/24 (Linux provides it)."
                ).format(address=address)
            ) from exc
        raise LabError(
            _("The demo practice cannot listen on {where}: {error}.").format(
                where=f"{address}:{port}/{transport}", error=exc
            )
        ) from exc
