"""An in-memory implementation of the OAuth core's storage interfaces: the reference.

It keeps the same contracts as the SQLAlchemy one (hashes only, conditional one-time claims),
with one lock standing in for the database's, so that the protocol's own tests run without a
database. Like it, it holds no protocol rules: reuse, the retry window and when a family is
revoked are decided by the core (:mod:`sellergate.oauth.rotation`) over either store.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

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
    RevokedGrant,
    Successor,
    TokenInfo,
    UnclaimedCode,
)
from sellergate.scopes import Scope, format_scopes
from sellergate.storage.types import utcnow
from sellergate.tokens.format import MalformedToken, TokenKind, generate, parse
from sellergate.tokens.hashing import token_hash


@dataclass
class Code:
    id: int
    client_pk: int
    seller_id: int
    redirect_uri: str
    scopes: str
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: datetime
    used_at: datetime | None = None
    grant_id: int | None = None
    dpop_jkt: str | None = None


@dataclass
class Family:
    id: int
    seller_id: int
    client_pk: int
    scopes: str
    revoked_at: datetime | None = None
    reason: str | None = None


@dataclass
class Token:
    id: int
    kind: TokenKind
    grant_id: int
    client_pk: int
    seller_id: int
    scopes: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None  # a refresh token spent by its presentation
    revoked_at: datetime | None = None
    parent_id: int | None = None
    access_token_id: int | None = None
    first_used_at: datetime | None = None  # an access token's first use on the API
    jkt: str | None = None


@dataclass
class MemoryStorage:
    clients: dict[str, ClientRecord] = field(default_factory=dict)
    usernames: dict[int, str] = field(default_factory=dict)
    codes: dict[str, Code] = field(default_factory=dict)
    families: dict[int, Family] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)  # by hash, access and refresh
    _ids: int = 0
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def find_client(self, client_id: str) -> ClientRecord | None:
        return self.clients.get(client_id)

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
        with self._lock:
            self.codes[token_hash(code)] = Code(
                self._next_id(),
                client_pk,
                seller_id,
                redirect_uri,
                scopes,
                code_challenge,
                code_challenge_method,
                utcnow() + ttl,
                dpop_jkt=dpop_jkt,
            )

    def claim_code(self, code: str, client_pk: int) -> ClaimedCode | UnclaimedCode | None:
        with self._lock:
            row = self.codes.get(token_hash(code))
            if row is None or row.client_pk != client_pk:
                return None
            if row.used_at is not None or row.expires_at <= utcnow():
                return UnclaimedCode(row.used_at is not None, row.grant_id)
            row.used_at = utcnow()
            return ClaimedCode(
                row.id,
                row.seller_id,
                row.redirect_uri,
                row.scopes,
                row.code_challenge,
                row.code_challenge_method,
                row.dpop_jkt,
            )

    def create_family(self, *, seller_id: int, client_pk: int, scopes: str, code_id: int) -> int:
        with self._lock:
            family = Family(self._next_id(), seller_id, client_pk, scopes)
            self.families[family.id] = family
            for code in self.codes.values():
                if code.id == code_id:
                    code.grant_id = family.id
            return family.id

    def mint_pair(self, pair: PairToMint) -> tuple[str, str]:
        minted = self.mint_access_token(
            seller_id=pair.seller_id,
            scopes=pair.access_scopes,
            staging=pair.staging,
            expires_at=pair.access_expires_at,
            client_pk=pair.client_pk,
            grant_id=pair.grant_id,
            jkt=pair.access_jkt,
        )
        refresh = self.mint_refresh_token(
            grant_id=pair.grant_id,
            client_pk=pair.client_pk,
            seller_id=pair.seller_id,
            scopes=pair.refresh_scopes,
            staging=pair.staging,
            ttl=pair.refresh_ttl,
            parent_id=pair.parent_id,
            access_token_id=minted.token_id,
            jkt=pair.refresh_jkt,
        )
        return minted.token, refresh

    def mint_refresh_token(
        self,
        *,
        grant_id: int,
        client_pk: int,
        seller_id: int,
        scopes: str,
        staging: bool,
        ttl: timedelta,
        parent_id: int | None,
        access_token_id: int | None,
        jkt: str | None = None,
    ) -> str:
        token = generate(TokenKind.REFRESH, staging=staging)
        with self._lock:
            if any(t.parent_id == parent_id for t in self.tokens.values() if parent_id):
                raise AssertionError("a refresh token has at most one successor")
            now = utcnow()
            self.tokens[token_hash(token)] = Token(
                self._next_id(),
                TokenKind.REFRESH,
                grant_id,
                client_pk,
                seller_id,
                scopes,
                now,
                now + ttl,
                parent_id=parent_id,
                access_token_id=access_token_id,
                jkt=jkt,
            )
        return token

    def _by_id(self, token_id: int) -> Token:
        return next(t for t in self.tokens.values() if t.id == token_id)

    def claim_refresh_token(
        self,
        token: str,
        client_pk: int,
        *,
        now: datetime,
        proof_jkt: str | None,
        successor: Successor | None = None,
    ) -> PresentedRefreshToken | None:
        """``successor`` is not minted here: the pair is, as it may be, minted afterwards."""
        with self._lock:
            row = self.tokens.get(token_hash(token))
            if row is None or row.kind is not TokenKind.REFRESH or row.client_pk != client_pk:
                return None
            family = self.families[row.grant_id]
            client = next(c for c in self.clients.values() if c.pk == family.client_pk)
            presented = PresentedRefreshToken(
                ClaimedRefreshToken(row.id, row.grant_id, row.seller_id, row.scopes),
                RefreshTokenState(row.used_at, row.revoked_at, row.expires_at),
                grant_revoked=family.revoked_at is not None,
                client_disabled=client.disabled,
                jkt=row.jkt,
            )
            if not presented.may_spend(now, proof_jkt):
                return presented
            row.used_at = now
            return replace(presented, spent=True)

    def refresh_token_state(self, token_id: int) -> RefreshTokenState:
        with self._lock:
            row = self._by_id(token_id)
            return RefreshTokenState(row.used_at, row.revoked_at, row.expires_at)

    def replace_unused_pair(self, token_id: int, now: datetime) -> ClaimedRefreshToken | None:
        with self._lock:
            successor = next((t for t in self.tokens.values() if t.parent_id == token_id), None)
            if successor is None:
                return None
            live = RefreshTokenState(successor.used_at, successor.revoked_at, successor.expires_at)
            access = self._by_id(successor.access_token_id) if successor.access_token_id else None
            if not live.live(now) or (
                access is not None
                and (access.first_used_at is not None or access.revoked_at is not None)
            ):
                return None
            successor.revoked_at = now
            if access is not None:
                access.revoked_at = now
            return ClaimedRefreshToken(
                successor.id, successor.grant_id, successor.seller_id, successor.scopes
            )

    def refresh_token_scopes(self, token: str, client_pk: int) -> str | None:
        row = self.tokens.get(token_hash(token))
        if row is None or row.kind is not TokenKind.REFRESH or row.client_pk != client_pk:
            return None
        return row.scopes

    def revoke_family(self, grant_id: int, reason: RevocationReason) -> Revocation:
        with self._lock:
            family = self.families.get(grant_id)
            if family is None:
                return Revocation(reason, [], 0)
            now = utcnow()
            newly = []
            if family.revoked_at is None:
                family.revoked_at, family.reason = now, reason.value
                newly.append(RevokedGrant(family.id, family.seller_id, family.client_pk))
            swept = 0
            for row in self.tokens.values():
                if row.grant_id == grant_id and row.revoked_at is None and row.used_at is None:
                    row.revoked_at = now
                    swept += 1
            return Revocation(reason, newly, swept)

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
        token = generate(TokenKind.ACCESS, staging=staging)
        with self._lock:
            row = Token(
                self._next_id(),
                TokenKind.ACCESS,
                grant_id,
                client_pk,
                seller_id,
                format_scopes(scopes),
                utcnow(),
                expires_at,
                jkt=jkt,
            )
            self.tokens[token_hash(token)] = row
        return MintedToken(token, row.id)

    def find_client_token(self, token: str, client_pk: int, *, staging: bool) -> TokenInfo | None:
        try:
            parsed = parse(token)
        except MalformedToken:
            return None
        row = self.tokens.get(token_hash(token))
        if row is None or row.client_pk != client_pk or parsed.staging != staging:
            return None
        family = self.families[row.grant_id]
        client = next(c for c in self.clients.values() if c.pk == client_pk)
        active = (
            row.revoked_at is None
            and row.used_at is None
            and family.revoked_at is None
            and not client.disabled
            and row.expires_at > utcnow()
        )
        return TokenInfo(
            row.kind,
            active,
            row.scopes,
            row.seller_id,
            self.usernames.get(row.seller_id, ""),
            row.grant_id,
            row.created_at,
            row.expires_at,
            row.jkt,
        )

    def push_request(self, client_pk: int, query: str, ttl: timedelta) -> str:
        raise AssertionError("pushed requests are tested on the databases")

    def revoke_access_token(self, token: str) -> None:
        with self._lock:
            row = self.tokens.get(token_hash(token))
            if row is not None and row.kind is TokenKind.ACCESS and row.revoked_at is None:
                row.revoked_at = utcnow()

    def bearer_accepts(self, token: str) -> bool:
        """What the bearer check would say: the token, its family and its app all live. Like
        the bearer check, it records the token's first use."""
        with self._lock:
            row = self.tokens.get(token_hash(token))
            if row is None or row.kind is not TokenKind.ACCESS:
                return False
            family = self.families[row.grant_id]
            client = next(c for c in self.clients.values() if c.pk == row.client_pk)
            accepted = (
                row.revoked_at is None
                and family.revoked_at is None
                and not client.disabled
                and row.expires_at > utcnow()
            )
            if accepted and row.first_used_at is None:
                row.first_used_at = utcnow()
            return accepted
