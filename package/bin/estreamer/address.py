"""An FMC address as an admin types it: ``host``, ``host:port``, ``[v6]``, ``[v6]:port`` (or a
bare IPv6 address), read into a host and a port kept apart."""
from __future__ import annotations

import ipaddress
import re
from typing import Optional, Tuple

_HOST_NAME = re.compile(r"(?=.{1,253}\Z)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?)+\Z")
_FORMS = "a host name, an IP address, host:port, [IPv6] or [IPv6]:port"


def parse_address(text: Optional[str]) -> Tuple[str, Optional[int]]:
    """(host, port or None); ValueError naming the accepted forms. IPv6 comes back without
    brackets, as sockets take it."""
    value = (text or "").strip()
    if not value:
        raise ValueError(f"the FMC host is required: enter {_FORMS}")
    if "/" in value or any(c.isspace() for c in value):
        raise ValueError(f"{value!r} is not an address: enter {_FORMS}, without a scheme or "
                         f"path")
    port_text = None
    if value.startswith("["):
        inside, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"{value!r} is not an address: write IPv6 as [address] or "
                             f"[address]:port")
        host, port_text = inside, rest[1:] if rest else None
        _ipv6(host, value)
    elif value.count(":") > 1:
        host = value  # a bare IPv6 address (it cannot carry a port: use [address]:port)
        _ipv6(host, value)
    else:
        host, colon, port_text = value.partition(":")
        if not colon:
            port_text = None
        if not _HOST_NAME.match(host):
            raise ValueError(f"{value!r} is not an address: enter {_FORMS}, without a scheme "
                             f"or path")
    port = None
    if port_text is not None:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise ValueError(f"the port in {value!r} must be a number from 1 to 65535")
        port = int(port_text)
    return host, port


def _ipv6(host: str, value: str) -> None:
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv6 address: enter {_FORMS}") from None
