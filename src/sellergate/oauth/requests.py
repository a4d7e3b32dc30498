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

from authlib.oauth2.rfc6749 import OAuth2Payload, OAuth2Request

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


def _describable(text: str) -> bool:
    return all(" " <= char <= "~" and char not in '"\\' for char in text)


def _decodable_basic(header: str | None) -> bool:
    """Whether Authlib can read the header: it crashes on Basic credentials that are not
    base64 of UTF-8, or that decode to no ``user:password`` pair (an empty ``Basic `` header).
    Such credentials are dropped, which makes them ``invalid_client``."""
    if not header:
        return True
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return True
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    # RFC 7617 §2: "user-id:password"; control characters (NUL above all: PostgreSQL refuses
    # it in text) are in no client id or secret.
    return ":" in decoded and decoded.isprintable()


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
