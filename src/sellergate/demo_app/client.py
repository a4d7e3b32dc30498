"""What a third-party app writes to talk to sellergate: plain OAuth 2.0 over httpx.

Authorization code with PKCE (RFC 7636, S256), the request pushed first (RFC 9126), the code
exchanged with HTTP Basic client authentication (RFC 6749 §2.3.1, ``client_secret_basic``), the
Seller API called with the access token, and a rotating refresh (RFC 6749 §6) when the API says
the token expired. The tokens are DPoP-bound (RFC 9449) to a key this app makes at start and
keeps in memory only, so a copied token is useless. Nothing here imports sellergate: it is the
client side, written as an integrator would. Authlib builds the PKCE challenge and joserfc signs
the DPoP proofs; the requests are plain posts.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jws
from joserfc.jwk import ECKey

AUTHORIZE_PATH = "/seller-api/rest/oauth/authorize"
TOKEN_PATH = "/seller-api/rest/oauth/token"  # noqa: S105 (a path, not a secret)
REVOKE_PATH = "/seller-api/rest/oauth/revoke"
PAR_PATH = "/seller-api/rest/oauth/par"
GRAPHQL_PATH = "/seller-api/graphql"

SHOP_QUERY = """
query DemoShop {
  me { username }
  listings(first: 8, status: PUBLISHED) {
    nodes {
      __typename
      quantity
      product { title }
      variant { title sku }
      ... on BuyItNowListing { price { amount currency } }
      ... on AuctionListing { startingPrice { amount currency } }
    }
  }
  orders(first: 10) {
    nodes {
      status
      createdAt
      total { amount currency }
      lineItems { title quantity }
      customer { name }
      trackingCodes { carrier code }
    }
  }
}
"""

_DESCRIPTION = re.compile(r'error_description="((?:[^"\\]|\\.)*)"')


class Refused(Exception):
    """sellergate refused a token or a grant; the message is safe to show the seller."""


@dataclass(frozen=True, slots=True)
class ClientConfig:
    sellergate_url: str
    client_id: str
    client_secret: str
    redirect_uri: str
    scopes: tuple[str, ...] = ("read:inventory", "read:orders", "read:customers")


@dataclass
class Connection:
    """One seller's tokens, as this app keeps them (in memory, server side)."""

    access_token: str
    refresh_token: str
    scope: str
    expires_at: float
    token_type: str = "Bearer"  # noqa: S105 (a token type, not a secret)
    refreshes: int = 0
    last_refresh: str = ""  # why the last refresh happened, for the page

    @property
    def access_hint(self) -> str:
        return "…" + self.access_token[-4:]


@dataclass(frozen=True, slots=True)
class PendingAuthorization:
    state: str
    verifier: str
    url: str


@dataclass
class ShopData:
    username: str
    listings: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class DPoPKey:
    """The app's DPoP key (RFC 9449 §4): made at start, never stored, never sent."""

    def __init__(self) -> None:
        self.key = ECKey.generate_key("P-256")
        self.nonce: str | None = None  # the server's latest DPoP-Nonce, if it uses them

    def proof(self, method: str, url: str, access_token: str | None = None) -> str:
        claims: dict[str, Any] = {
            "jti": secrets.token_urlsafe(16),
            "htm": method,
            "htu": url,
            "iat": int(time.time()),
        }
        if access_token is not None:
            digest = hashlib.sha256(access_token.encode("ascii")).digest()
            claims["ath"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        if self.nonce:
            claims["nonce"] = self.nonce
        header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": self.key.as_dict(private=False)}
        return jws.serialize_compact(header, json.dumps(claims).encode(), self.key)

    def learn(self, response: httpx.Response) -> bool:
        """Keep the server's nonce; whether the request must be sent again with it (§8)."""
        nonce = response.headers.get("dpop-nonce")
        if nonce:
            self.nonce = nonce
        challenge = response.headers.get("www-authenticate", "")
        if response.status_code == 401:
            return 'error="use_dpop_nonce"' in challenge
        return response.status_code == 400 and "use_dpop_nonce" in response.text


def _bearer_error(response: httpx.Response) -> str:
    found = _DESCRIPTION.search(response.headers.get("www-authenticate", ""))
    return found.group(1).replace('\\"', '"') if found else "the token was refused"


class SellergateClient:
    def __init__(self, config: ClientConfig, http: httpx.AsyncClient) -> None:
        self.config = config
        self.http = http
        self.dpop = DPoPKey()

    async def _signed_post(self, path: str, data: dict[str, str]) -> httpx.Response:
        """A form post with client authentication and a DPoP proof, again with the server's
        nonce if it asks for one."""
        url = self.config.sellergate_url + path
        for _ in range(2):
            response = await self.http.post(
                url,
                data=data,
                auth=(self.config.client_id, self.config.client_secret),
                headers={"DPoP": self.dpop.proof("POST", url)},
            )
            if not self.dpop.learn(response):
                break
        return response

    async def start(self) -> PendingAuthorization:
        """RFC 9126: push the authorization request (with PKCE, RFC 7636, and a DPoP proof that
        binds the code to this app's key), then send the seller's browser with only its
        ``request_uri``."""
        state = secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        response = await self._signed_post(
            PAR_PATH,
            {
                "response_type": "code",
                "redirect_uri": self.config.redirect_uri,
                "scope": " ".join(self.config.scopes),
                "state": state,
                "code_challenge": create_s256_code_challenge(verifier),
                "code_challenge_method": "S256",
            },
        )
        body: dict[str, Any] = response.json()
        if response.status_code != 201:
            raise Refused(body.get("error_description") or body.get("error") or "refused")
        query = urlencode({"client_id": self.config.client_id, "request_uri": body["request_uri"]})
        url = f"{self.config.sellergate_url}{AUTHORIZE_PATH}?{query}"
        return PendingAuthorization(state, verifier, url)

    async def _token_request(self, data: dict[str, str]) -> dict[str, Any]:
        response = await self._signed_post(TOKEN_PATH, data)
        body: dict[str, Any] = response.json()
        if response.status_code != 200:
            raise Refused(body.get("error_description") or body.get("error") or "refused")
        return body

    @staticmethod
    def _connection(body: dict[str, Any]) -> Connection:
        return Connection(
            access_token=str(body["access_token"]),
            refresh_token=str(body["refresh_token"]),
            scope=str(body.get("scope", "")),
            expires_at=time.time() + float(body.get("expires_in", 3600)),
            token_type=str(body.get("token_type", "Bearer")),
        )

    async def exchange(self, code: str, verifier: str) -> Connection:
        """RFC 6749 §4.1.3: the code (and the PKCE verifier) for tokens."""
        body = await self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.config.redirect_uri,
                "code_verifier": verifier,
            }
        )
        return self._connection(body)

    async def refresh(self, connection: Connection, reason: str) -> None:
        """RFC 6749 §6: the refresh token is rotated; the old one is dead from now on."""
        body = await self._token_request(
            {"grant_type": "refresh_token", "refresh_token": connection.refresh_token}
        )
        fresh = self._connection(body)
        connection.access_token = fresh.access_token
        connection.refresh_token = fresh.refresh_token
        connection.expires_at = fresh.expires_at
        connection.token_type = fresh.token_type
        connection.scope = fresh.scope or connection.scope
        connection.refreshes += 1
        connection.last_refresh = reason

    async def revoke(self, connection: Connection) -> None:
        """RFC 7009: revoking the refresh token ends the whole authorization."""
        await self.http.post(
            self.config.sellergate_url + REVOKE_PATH,
            data={"token": connection.refresh_token, "token_type_hint": "refresh_token"},
            auth=(self.config.client_id, self.config.client_secret),
        )

    async def _graphql(self, connection: Connection) -> httpx.Response:
        """RFC 9449 §7: a bound token goes with the DPoP scheme and a proof for this call."""
        url = self.config.sellergate_url + GRAPHQL_PATH
        token = connection.access_token
        for _ in range(2):
            headers = {"Authorization": f"{connection.token_type} {token}"}
            if connection.token_type.lower() == "dpop":
                headers["DPoP"] = self.dpop.proof("POST", url, token)
            response = await self.http.post(url, json={"query": SHOP_QUERY}, headers=headers)
            if not self.dpop.learn(response):
                break
        return response

    async def shop(self, connection: Connection) -> ShopData:
        """The seller's listings and orders; one refresh and retry if the token expired."""
        response = await self._graphql(connection)
        if response.status_code == 401:
            reason = _bearer_error(response)
            if "expired" not in reason:
                raise Refused(reason)
            await self.refresh(connection, "the access token had expired")
            response = await self._graphql(connection)
            if response.status_code == 401:
                raise Refused(_bearer_error(response))
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        data = body.get("data") or {}
        return ShopData(
            username=str((data.get("me") or {}).get("username", "")),
            listings=list((data.get("listings") or {}).get("nodes", [])),
            orders=list((data.get("orders") or {}).get("nodes", [])),
            errors=[str(error.get("message", "")) for error in body.get("errors") or []],
        )
