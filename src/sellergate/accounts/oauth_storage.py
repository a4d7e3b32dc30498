"""The SQLAlchemy implementation of the OAuth core's storage interfaces
(``sellergate.oauth.storage``), one per request and database session.

Each method is the domain function of the same name; the lock order that makes refresh and
revocation serialize lives in :mod:`sellergate.accounts.families`. The rules that call them
live in :mod:`sellergate.oauth`; what this adds is the security log, written in the same
transaction as what it records.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from sellergate.accounts import (
    access_tokens,
    client_tokens,
    codes,
    families,
    pushed_requests,
    refresh_claim,
    refresh_tokens,
)
from sellergate.accounts.audit import Actor, EventKind, record_event
from sellergate.accounts.clients import find_client_record, public_client_id
from sellergate.oauth.records import (
    ClaimedCode,
    ClaimedRefreshToken,
    ClientRecord,
    MintedToken,
    PairToMint,
    PresentedRefreshToken,
    RefreshTokenState,
    Revocation,
    RevocationReason,
    Successor,
    TokenInfo,
    UnclaimedCode,
)
from sellergate.scopes import Scope
from sellergate.storage.handles import DatabaseHandle
from sellergate.storage.models import AccessToken
from sellergate.tokens.hashing import token_hash


class KnownClient(NamedTuple):
    """An app as read just before a request's transaction: its ``client_id`` and its record
    (None: there is no such app)."""

    client_id: str
    record: ClientRecord | None


class SqlOAuthStorage(DatabaseHandle):
    """``address`` is the client's, for the security log: an approval (the code minted) and a
    detected refresh-token reuse are recorded with it, in the same transaction.

    Give either a ``session`` or, for a request that only reads, a ``connection``: the ORM
    session over it is then made only if a method needs one (:class:`DatabaseHandle`).
    ``known`` is the app the request names, read already: :meth:`find_client` answers it
    without a statement."""

    __slots__ = ("address", "known")

    def __init__(
        self,
        session: Session | None = None,
        address: str = "",
        *,
        connection: Connection | None = None,
        offline: bool = False,
        known: KnownClient | None = None,
        opener: Callable[[], Connection] | None = None,
    ) -> None:
        super().__init__(session=session, connection=connection, offline=offline, opener=opener)
        self.address = address
        self.known = known

    def find_client(self, client_id: str) -> ClientRecord | None:
        if self.known is not None and self.known.client_id == client_id:
            return self.known.record
        return find_client_record(self.connection, client_id)

    def save_code(
        self,
        code: str,
        *,
        client_pk: int,
        seller_id: int,
        redirect_uri: str,
        scopes: str,
        code_challenge: str | None,
        code_challenge_method: str | None,
        ttl: timedelta,
        dpop_jkt: str | None = None,
    ) -> None:
        codes.save_code(
            self.session,
            code,
            client_pk=client_pk,
            seller_id=seller_id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            ttl=ttl,
            dpop_jkt=dpop_jkt,
        )
        record_event(
            self.session,
            EventKind.APP_AUTHORIZED,
            actor=Actor.SELLER,
            seller_id=seller_id,
            client_id=public_client_id(self.session, client_pk),
            address=self.address,
            details={"scopes": scopes},
        )

    def claim_code(self, code: str, client_pk: int) -> ClaimedCode | UnclaimedCode | None:
        return codes.claim_code(self.session, code, client_pk)

    def create_family(self, *, seller_id: int, client_pk: int, scopes: str, code_id: int) -> int:
        grant_id = families.create_grant(
            self.session, seller_id=seller_id, client_pk=client_pk, scopes=scopes
        )
        codes.bind_code(self.session, code_id, grant_id)
        return grant_id

    def claim_refresh_token(
        self,
        token: str,
        client_pk: int,
        *,
        now: datetime,
        proof_jkt: str | None,
        successor: Successor | None = None,
    ) -> PresentedRefreshToken | None:
        return refresh_claim.claim_refresh_token(
            self.connection, token, client_pk, now=now, proof_jkt=proof_jkt, successor=successor
        )

    def refresh_token_state(self, token_id: int) -> RefreshTokenState:
        return refresh_claim.refresh_token_state(self.connection, token_id)

    def replace_unused_pair(self, token_id: int, now: datetime) -> ClaimedRefreshToken | None:
        return refresh_tokens.replace_unused_pair(self.connection, token_id, now)

    def refresh_token_scopes(self, token: str, client_pk: int) -> str | None:
        return refresh_tokens.refresh_token_scopes(self.connection, token, client_pk)

    def revoke_family(self, grant_id: int, reason: RevocationReason) -> Revocation:
        """A detected refresh-token reuse is also recorded in the seller's security log, with
        the client's address."""
        revocation = families.revoke_family(self.session, grant_id, reason)
        if reason is RevocationReason.REUSE_DETECTED:
            for grant in revocation.grants:
                record_event(
                    self.session,
                    EventKind.REFRESH_REUSE,
                    actor=Actor.APP,
                    seller_id=grant.seller_id,
                    client_id=public_client_id(self.session, grant.client_pk),
                    address=self.address,
                    details={"grant_id": grant.grant_id},
                )
        return revocation

    def mint_pair(self, pair: PairToMint) -> tuple[str, str]:
        return refresh_tokens.mint_token_pair(self.connection, pair)

    def mint_access_token(
        self,
        *,
        seller_id: int,
        scopes: frozenset[Scope],
        staging: bool,
        expires_at: datetime,
        client_pk: int,
        grant_id: int,
        jkt: str | None = None,
    ) -> MintedToken:
        return access_tokens.mint_access_token(
            self.connection,
            seller_id=seller_id,
            scopes=scopes,
            staging=staging,
            expires_at=expires_at,
            client_id=client_pk,
            grant_id=grant_id,
            jkt=jkt,
        )

    def find_client_token(self, token: str, client_pk: int, *, staging: bool) -> TokenInfo | None:
        return client_tokens.find_client_token(self.connection, token, client_pk, staging=staging)

    def push_request(self, client_pk: int, query: str, ttl: timedelta) -> str:
        return pushed_requests.push_request(self.session, client_pk, query, ttl)

    def revoke_access_token(self, token: str) -> None:
        access_tokens.revoke_access_tokens(
            self.session, AccessToken.token_hash == token_hash(token)
        )
