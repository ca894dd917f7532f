"""Reaching a Ray cluster without hanging.

An address of the form ``host:port`` (or ``ray://host:port``) is probed with a plain TCP connect
first, so a wrong address fails within :data:`CONNECT_TIMEOUT_S` with a message instead of
Ray's minutes of retries; ``ray.init`` itself then runs in the calling thread (Ray's driver
must start in the main thread: started from another thread it can kill the process).
"""

from __future__ import annotations

import socket

from wattlab.errors import SpecError

CONNECT_TIMEOUT_S = 15.0
LOCAL = ("auto", "local")


def probe(address: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """SpecError unless ``address`` is 'auto', 'local' or a host:port that accepts a connection."""
    if address in LOCAL:
        return
    hostport = address.split("://", 1)[-1].rstrip("/")
    host, sep, port = hostport.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SpecError(f"Ray cluster address '{address}': give host:port (or ray://host:port) "
                        "of the head node, 'auto' or 'local'")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise SpecError(f"Ray cluster '{address}' cannot be reached ({exc}); check the address "
                        "and that the cluster is running") from None


__all__ = ["CONNECT_TIMEOUT_S", "probe"]
