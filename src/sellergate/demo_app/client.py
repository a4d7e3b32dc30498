"""What a third-party app writes to talk to sellergate: plain OAuth 2.0 over httpx.

Authorization code with PKCE (RFC 7636, S256), the code exchanged with HTTP Basic client
authentication (RFC 6749 §2.3.1, ``client_secret_basic``), the Seller API called with the access
token, and a rotating refresh (RFC 6749 §6) when the API says the token expired. Nothing here
imports sellergate: it is the client side, written as an integrator would. Authlib builds the
authorization URL and the PKCE challenge; the three token requests are plain form posts (its
httpx client integration is being moved to another HTTP library, so the demo does not tie itself
to it).
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

AUTHORIZE_PATH = "/seller-api/rest/oauth/authorize"
TOKEN_PATH = "/seller-api/rest/oauth/token"  # noqa: S105 (a path, not a secret)
REVOKE_PATH = "/seller-api/rest/oauth/revoke"
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


def _bearer_error(response: httpx.Response) -> str:
    found = _DESCRIPTION.search(response.headers.get("www-authenticate", ""))
    return found.group(1).replace('\\"', '"') if found else "the token was refused"


class SellergateClient:
    def __init__(self, config: ClientConfig, http: httpx.AsyncClient) -> None:
        self.config = config
        self.http = http

    def start(self) -> PendingAuthorization:
        """RFC 6749 §4.1.1 with PKCE: where to send the seller's browser."""
        state = secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        url = prepare_grant_uri(
            self.config.sellergate_url + AUTHORIZE_PATH,
            self.config.client_id,
            "code",
            redirect_uri=self.config.redirect_uri,
            scope=" ".join(self.config.scopes),
            state=state,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
        )
        return PendingAuthorization(state, verifier, str(url))

    async def _token_request(self, data: dict[str, str]) -> dict[str, Any]:
        response = await self.http.post(
            self.config.sellergate_url + TOKEN_PATH,
            data=data,
            auth=(self.config.client_id, self.config.client_secret),
        )
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
        return await self.http.post(
            self.config.sellergate_url + GRAPHQL_PATH,
            json={"query": SHOP_QUERY},
            headers={"Authorization": f"Bearer {connection.access_token}"},
        )

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
