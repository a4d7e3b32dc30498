"""The client's address: the peer, or what a trusted proxy says in ``X-Forwarded-For``.

The header is believed only when the peer is one of ``SELLERGATE_TRUSTED_PROXIES``; then the
list is read from the right (each proxy appends the address it saw) and the first address that
is not itself a trusted proxy is the client. Anyone can write anything to the left of that.
"""

from __future__ import annotations

import ipaddress

from starlette.requests import Request
from starlette.types import Scope

Networks = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]


def _trusted(address: str, networks: Networks) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


def client_address(request: Request, networks: Networks) -> str:
    peer = request.client.host if request.client else ""
    return _believed(peer, request.headers.getlist("x-forwarded-for"), networks)


def scope_address(scope: Scope, networks: Networks) -> str:
    """:func:`client_address` for ASGI middleware, which has the scope and no request."""
    client = scope.get("client")
    peer = str(client[0]) if client else ""
    if not networks:
        return peer  # the common case: no header parsing at all
    forwarded = [
        value.decode("latin-1")
        for name, value in scope.get("headers", ())
        if name == b"x-forwarded-for"
    ]
    return _believed(peer, forwarded, networks)


def _believed(peer: str, forwarded: list[str], networks: Networks) -> str:
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in ",".join(forwarded).split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        try:
            address = str(ipaddress.ip_address(hop))
        except ValueError:
            return peer  # a malformed hop: believe nothing further left than the proxy
        if not _trusted(address, networks):
            return address
    return peer
