"""The values the web adapter hands to the protocol core and gets back.

:class:`OAuthRequest` is Authlib's ``OAuth2Request`` built from plain data (method, URL,
headers, parameters), so nothing here knows the web framework.
"""

from __future__ import annotations

import base64
import binascii
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from authlib.oauth2.rfc6749 import OAuth2Payload, OAuth2Request

from sellergate.oauth.dpop import Proof

Params = Sequence[tuple[str, str]]


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, params: Params) -> None:
        self._data: dict[str, str] = {}
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in params:
            self._data.setdefault(key, value)
            self._datalist[key].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class OAuthRequest(OAuth2Request):  # type: ignore[misc]
    """An OAuth request: the query parameters for GET, the form body for POST.

    Authlib's constructor refuses plain-HTTP URLs outside loopback; transport security is
    the deployment's business here (production refuses to start without an https public
    URL), so the attributes are set directly instead.
    """

    def __init__(self, method: str, uri: str, headers: Mapping[str, str], params: Params) -> None:
        self.method = method
        self.uri = uri
        self.headers = headers if _decodable_basic(headers.get("Authorization")) else {}
        self._body = None
        self.payload = _Payload(params)
        self.client = None
        self.auth_method = None
        self.user = None
        self.authorization_code = None
        self.refresh_token = None
        self.credential = None
        self._scope = None
        self._params = params
        # RFC 9449: what the request's DPoP proof proved, checked before the core runs.
        self.dpop: Proof | None = None
        # RFC 9126: the parameters came from a pushed authorization request.
        self.pushed = False

    @property
    def payload_params(self) -> list[tuple[str, str]]:
        """The parameters as sent, in order, repeated ones included."""
        return list(self._params)

    @property
    def args(self) -> dict[str, str]:
        return dict(self.payload.data)

    @property
    def form(self) -> dict[str, str]:
        return dict(self.payload.data)

    def repeated(self) -> list[str]:
        """Parameters sent more than once (RFC 6749 §3.1 and §3.2 forbid it), by name when
        the name may appear in an error description (§5.2 allows printable ASCII without
        quote or backslash there)."""
        return [
            key if _describable(key) else "with an unprintable name"
            for key, values in self.payload.datalist.items()
            if len(values) > 1
        ]

    def mixed_client_authentication(self) -> str | None:
        """Why the request authenticates its client more than one way, if it does.

        RFC 6749 §2.3: a client must not use more than one authentication method in a request.
        HTTP Basic plus a ``client_secret`` in the body is two. A ``client_id`` in the body is
        not a method of its own (§3.2.1 lets a client identify itself with it, and §4.1.3
        requires it only of clients that do not authenticate), so it is allowed beside Basic
        when it names the same client, and refused when it names another.
        """
        basic = _basic_client_id(self.headers.get("Authorization"))
        if basic is None:
            return None
        body = self.payload.data
        if "client_secret" in body:
            return (
                "send the client credentials once: in the Authorization header or in the "
                "body, not both (RFC 6749 section 2.3)"
            )
        if "client_id" in body and body["client_id"] != basic:
            return "the client_id in the body is not the one in the Authorization header"
        return None


def _describable(text: str) -> bool:
    return all(" " <= char <= "~" and char not in '"\\' for char in text)


def _basic_credentials(header: str | None) -> tuple[bool, str | None]:
    """Whether ``header`` uses the Basic scheme, and its decoded ``user-id:password`` if it is
    well-formed: strict base64 of printable UTF-8 with a colon (RFC 7617 §2). The scheme is
    split off at any white space, as Authlib splits it (a tab included)."""
    if not header:
        return False, None
    parts = header.split(None, 1)
    if not parts or parts[0].lower() != "basic":
        return False, None
    try:
        decoded = base64.b64decode(parts[1].strip() if len(parts) > 1 else "", validate=True)
        text = decoded.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return True, None
    # Control characters (NUL above all: PostgreSQL refuses it in text) are in no client id or
    # secret.
    return True, text if ":" in text and text.isprintable() else None


def _basic_client_id(header: str | None) -> str | None:
    """The client id of HTTP Basic credentials (RFC 6749 §2.3.1: form-urlencoded), if any."""
    _, decoded = _basic_credentials(header)
    return None if decoded is None else unquote(decoded.partition(":")[0])


def _decodable_basic(header: str | None) -> bool:
    """Whether Authlib can read the header: it crashes on Basic credentials that are not
    base64 of UTF-8, or that decode to no ``user:password`` pair (an empty ``Basic `` header).
    Such credentials are dropped, which makes them ``invalid_client``."""
    basic, decoded = _basic_credentials(header)
    return not basic or decoded is not None


@dataclass(frozen=True, slots=True)
class OAuthResponse:
    """What to answer: a status, a JSON body (or ``None``) and headers."""

    status: int
    body: dict[str, Any] | None
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def location(self) -> str | None:
        for name, value in self.headers:
            if name.lower() == "location":
                return value
        return None
