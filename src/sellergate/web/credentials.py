"""The access token a request presents: the one place where an ``Authorization`` header becomes
a token to look up, for the Seller API and the gateway decision alike.

RFC 6750 §2.1: the token travels in the ``Authorization`` header only; a token in the query
string (§2.3) is refused, never used. Everything that can be told without the database (shape,
checksum, kind, environment) is checked here; the lookup itself (``BearerVerifier.lookup``)
runs where the request holds its database connection.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from sellergate.accounts.bearer import BearerVerifier, credentials_from_header
from sellergate.errors import InvalidToken

QUERY_TOKEN = "access_token"  # noqa: S105 (the parameter's name, not a secret)


@dataclass(frozen=True, slots=True)
class Presented:
    """The token and its scheme: ``Bearer``, or ``DPoP`` (RFC 9449 §7.1) when ``dpop``."""

    token: str
    dpop: bool = False


def presented(
    headers: Mapping[str, str], query: Mapping[str, str], verifier: BearerVerifier
) -> Presented:
    """Like :func:`presented_token`, the ``DPoP`` scheme (case-insensitive) accepted too."""
    scheme, _, value = (headers.get("authorization") or "").strip().partition(" ")
    if scheme.lower() != "dpop":
        return Presented(presented_token(headers, query, verifier))
    if QUERY_TOKEN in query:
        raise InvalidToken("tokens are accepted only in the Authorization header")
    token = value.strip()
    if not token:
        raise InvalidToken("the DPoP scheme needs a token: 'Authorization: DPoP <token>'")
    verifier.check_offline(token)
    return Presented(token, dpop=True)


def presented_token(
    headers: Mapping[str, str], query: Mapping[str, str], verifier: BearerVerifier
) -> str:
    """The token of a request with these headers and query parameters, checked offline;
    raises :class:`InvalidToken` saying what is wrong."""
    if QUERY_TOKEN in query:
        raise InvalidToken("tokens are accepted only in the Authorization header")
    token = credentials_from_header(headers.get("authorization"))
    verifier.check_offline(token)
    return token


def basic_client_id(header: str | None) -> str | None:
    """The ``client_id`` an ``Authorization: Basic`` header names, if any: RFC 6749 §2.3.1
    form-urlencodes it before the base64. Nothing is authenticated here."""
    scheme, _, value = (header or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return unquote(decoded.partition(":")[0]) or None
