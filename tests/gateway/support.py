"""What the gateway tests share: the example routes file and an app's token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from sellergate.accounts.access_tokens import mint_access_token
from sellergate.accounts.clients import get_client, register_client
from sellergate.accounts.families import create_grant
from sellergate.accounts.secure_links import reveal_link
from sellergate.config import Settings
from sellergate.scopes import Scope, format_scopes

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_ROUTES = ROOT / "deploy" / "gateway" / "routes.toml"


@dataclass
class AppToken:
    token: str
    token_id: int
    client_id: str
    grant_id: int
    secret: str
    client_pk: int  # the app's row


def app_token(
    session: Session,
    settings: Settings,
    seller_id: int,
    scopes: list[Scope],
    expires_at: datetime | None = None,
    jkt: str | None = None,
    name: str = "Acme Orders",
) -> AppToken:
    """An OAuth access token of a registered app, as the token endpoint would have issued."""
    registered = register_client(
        session,
        settings,
        name=name,
        redirect_uris=["http://127.0.0.1:9/cb"],
        scopes=[s.value for s in scopes],
    )
    assert registered.link is not None
    secret = reveal_link(session, registered.link.link).secret
    client = get_client(session, registered.client_id)
    grant = create_grant(
        session, seller_id=seller_id, client_pk=client.id, scopes=format_scopes(scopes)
    )
    minted = mint_access_token(
        session.connection(),
        seller_id=seller_id,
        scopes=scopes,
        staging=not settings.production,
        expires_at=expires_at,
        client_id=client.id,
        grant_id=grant,
        jkt=jkt,
    )
    return AppToken(minted.token, minted.token_id, registered.client_id, grant, secret, client.id)
