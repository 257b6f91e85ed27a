"""The client's address as the proxy reports it, believed only from configured proxies.

`X-Forwarded-For` is a header any client can send. It names the client only when the request
came from one of `TRUSTED_PROXIES` (addresses or networks, empty by default): then the address
is the right-most hop that is not itself a trusted proxy (each proxy appends the address it saw,
so what the client wrote stays on the left). Otherwise it is the peer's own address. The login
lockout (django-axes) and the API's throttles count attempts by this address.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(name: str, values: list[str]) -> tuple[Network, ...]:
    """`10.0.0.0/8`, `127.0.0.1`, `::1` -> networks; a bad value stops the start naming the variable."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            message = f"Environment variable {name}: {value!r} is not an address or network."
            raise ImproperlyConfigured(message) from None
    return tuple(networks)


@lru_cache(maxsize=1024)
def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def from_trusted_proxy(request: Any) -> bool:
    """Did the request reach us through a configured proxy (so its forwarding headers may be believed)?"""
    networks: tuple[Network, ...] = settings.TRUSTED_PROXIES
    return bool(networks) and _trusted(request.META.get("REMOTE_ADDR") or "", networks)


def client_ip(request: Any) -> str | None:
    """The client's address (an HttpRequest or DRF's Request: only META is read)."""
    remote: str | None = request.META.get("REMOTE_ADDR") or None
    if not from_trusted_proxy(request):
        return remote
    networks: tuple[Network, ...] = settings.TRUSTED_PROXIES
    forwarded: str = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            # A garbled hop: what lies left of it was written by someone we cannot vouch for.
            return remote
        if not _trusted(hop, networks):
            return hop
    return hops[0] if hops else remote
