"""The access token a request presents: the one place where an ``Authorization`` header becomes
a token to look up, for the Seller API and the gateway decision alike.

RFC 6750 §2.1: the token travels in the ``Authorization`` header only; a token in the query
string (§2.3) is refused, never used. Everything that can be told without the database (shape,
checksum, kind, environment) is checked here; the lookup itself (``BearerVerifier.lookup``)
runs where the request holds its database connection.
"""

from __future__ import annotations

from collections.abc import Mapping

from sellergate.accounts.bearer import BearerVerifier, credentials_from_header
from sellergate.errors import InvalidToken

QUERY_TOKEN = "access_token"  # noqa: S105 (the parameter's name, not a secret)


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
