"""An in-memory implementation of the OAuth core's storage interfaces: the reference.

It keeps the same contracts as the SQLAlchemy one (hashes only, one-time claims, the family and
app checked by the refresh claim, reuse revoking the family, the retry window), with one lock
standing in for the database's, so that the protocol's own tests run without a database.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sellergate.errors import InvalidGrant
from sellergate.oauth.records import (
    ClaimedCode,
    ClaimedRefreshToken,
    ClientRecord,
    MintedToken,
    Revocation,
    RevocationReason,
    RevokedGrant,
    TokenInfo,
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
    used_at: datetime | None = None
    revoked_at: datetime | None = None
    parent_id: int | None = None
    access_token_id: int | None = None
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

    def claim_code(self, code: str, client_pk: int) -> ClaimedCode:
        with self._lock:
            row = self.codes.get(token_hash(code))
            if row is None or row.client_pk != client_pk:
                raise InvalidGrant("the authorization code is not valid for this client")
            if row.used_at is not None:
                if row.grant_id is not None:
                    self.revoke_family(row.grant_id, RevocationReason.CODE_REUSED)
                raise InvalidGrant("the authorization code was already used")
            if row.expires_at <= utcnow():
                raise InvalidGrant("the authorization code expired")
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

    def _family_is_live(self, grant_id: int) -> None:
        family = self.families.get(grant_id)
        if family is None:
            raise InvalidGrant("the authorization no longer exists")
        client = next(c for c in self.clients.values() if c.pk == family.client_pk)
        if client.disabled:
            raise InvalidGrant("the app was disabled")
        if family.revoked_at is not None:
            raise InvalidGrant("the authorization was revoked")

    def claim_refresh_token(
        self, token: str, client_pk: int, *, staging: bool, window: timedelta
    ) -> ClaimedRefreshToken:
        try:
            parsed = parse(token)
        except MalformedToken:
            raise InvalidGrant("the refresh token is malformed") from None
        if parsed.kind is not TokenKind.REFRESH or parsed.staging != staging:
            raise InvalidGrant("the refresh token is malformed or for another environment")
        with self._lock:
            row = self.tokens.get(token_hash(token))
            if row is None or row.kind is not TokenKind.REFRESH or row.client_pk != client_pk:
                raise InvalidGrant("the refresh token is not valid for this client")
            self._family_is_live(row.grant_id)
            now = utcnow()
            if row.used_at is None and row.revoked_at is None and row.expires_at > now:
                row.used_at = now
                return ClaimedRefreshToken(row.id, row.grant_id, row.seller_id, row.scopes)
            if row.used_at is not None:
                if now - row.used_at <= window:
                    successor = next(
                        (t for t in self.tokens.values() if t.parent_id == row.id), None
                    )
                    if (
                        successor is not None
                        and successor.used_at is None
                        and successor.revoked_at is None
                    ):
                        successor.used_at = now
                        for access in self.tokens.values():
                            if access.id == successor.access_token_id:
                                access.revoked_at = access.revoked_at or now
                        return ClaimedRefreshToken(
                            successor.id, successor.grant_id, successor.seller_id, successor.scopes
                        )
                self.revoke_family(row.grant_id, RevocationReason.REUSE_DETECTED)
                raise InvalidGrant("the refresh token was already used; the family is revoked")
            if row.revoked_at is not None:
                raise InvalidGrant("the refresh token was revoked")
            raise InvalidGrant("the refresh token expired")

    def refresh_token_scopes(self, token: str, client_pk: int) -> str | None:
        row = self.tokens.get(token_hash(token))
        if row is None or row.kind is not TokenKind.REFRESH or row.client_pk != client_pk:
            return None
        return row.scopes

    def refresh_token_jkt(self, token: str, client_pk: int) -> str | None:
        row = self.tokens.get(token_hash(token))
        if row is None or row.kind is not TokenKind.REFRESH or row.client_pk != client_pk:
            return None
        return row.jkt

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
        """What the bearer check would say: the token, its family and its app all live."""
        row = self.tokens.get(token_hash(token))
        if row is None or row.kind is not TokenKind.ACCESS:
            return False
        family = self.families[row.grant_id]
        client = next(c for c in self.clients.values() if c.pk == row.client_pk)
        return (
            row.revoked_at is None
            and family.revoked_at is None
            and not client.disabled
            and row.expires_at > utcnow()
        )
