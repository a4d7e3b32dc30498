"""Seed a throwaway database with what the benchmark scenarios need."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from joserfc.jwk import ECKey

from sellergate.accounts.access_tokens import mint_access_token
from sellergate.accounts.clients import get_client, register_client
from sellergate.accounts.families import create_grant
from sellergate.accounts.refresh_tokens import mint_refresh_token
from sellergate.accounts.secure_links import reveal_link
from sellergate.accounts.sellers import create_seller
from sellergate.config import Settings
from sellergate.scopes import Scope, format_scopes
from sellergate.shop.seed import seed_demo_shop
from sellergate.storage.database import Database

# The limiter's cost is measured, but no scenario may hit a budget: one token makes every request.
UNLIMITED = "1000000000/minute"

# The gateway_verify scenario's routes file: the request it asks about matches the first route.
GATEWAY_ROUTES = """
[[route]]
methods = ["GET"]
path = "/v1/orders/**"
scopes = ["read:orders"]
"""

OAUTH_SCOPES = [Scope.READ_INVENTORY, Scope.READ_ORDERS, Scope.READ_CUSTOMERS]


@dataclass
class Seeded:
    personal_token: str
    client_id: str
    client_secret: str
    oauth_access_token: str
    refresh_tokens: list[str]
    # RFC 9449: an access token bound to ``dpop_key``, and refresh tokens for refresh_dpop.
    dpop_key: ECKey | None = None
    dpop_access_token: str = ""
    dpop_refresh_tokens: list[str] = field(default_factory=list)


def seed(
    settings: Settings,
    db: Database,
    *,
    refresh_tokens: int,
    orders_seller: bool,
    dpop_refresh_tokens: int = 0,
) -> Seeded:
    staging = not settings.production
    with db.session(write=True) as session:
        seller = create_seller(session, "bench", "bench@example.com", secrets.token_urlsafe(16))
        personal = mint_access_token(
            session.connection(),
            seller_id=seller.id,
            scopes=[Scope.FULL_ACCESS],
            staging=staging,
            expires_at=None,
        ).token
        registered = register_client(
            session,
            settings,
            name="Bench app",
            redirect_uris=["http://127.0.0.1:9/cb"],
            scopes=[s.value for s in OAUTH_SCOPES],
        )
        assert registered.link is not None
        secret = reveal_link(session, registered.link.link).secret
        client = get_client(session, registered.client_id)
        scopes = format_scopes(OAUTH_SCOPES)
        grant_id = create_grant(session, seller_id=seller.id, client_pk=client.id, scopes=scopes)

        def app_token(jkt: str | None = None) -> str:
            return mint_access_token(
                session.connection(),
                seller_id=seller.id,
                scopes=OAUTH_SCOPES,
                staging=staging,
                expires_at=None,
                client_id=client.id,
                grant_id=grant_id,
                jkt=jkt,
            ).token

        oauth_token = app_token()
        dpop_key = ECKey.generate_key("P-256")
        dpop_token = app_token(jkt=dpop_key.thumbprint())
        if orders_seller:
            # Two shops' worth (48 orders each), so that a page of 50 orders is full.
            for rng_seed in (1, 2):
                seed_demo_shop(session, seller.id, rng_seed=rng_seed, products=40)
    refresh: list[str] = []
    total = refresh_tokens + dpop_refresh_tokens
    for start in range(0, total, 1000):
        with db.session(write=True) as session:
            for _ in range(min(1000, total - start)):
                grant = create_grant(
                    session, seller_id=seller.id, client_pk=client.id, scopes=scopes
                )
                refresh.append(
                    mint_refresh_token(
                        session.connection(),
                        grant_id=grant,
                        client_pk=client.id,
                        seller_id=seller.id,
                        scopes=scopes,
                        staging=staging,
                        ttl=timedelta(days=1),
                    )
                )
    return Seeded(
        personal,
        registered.client_id,
        secret,
        oauth_token,
        refresh[:refresh_tokens],
        dpop_key,
        dpop_token,
        refresh[refresh_tokens:],
    )
