"""The bearer check (RFC 6750): from an ``Authorization`` header value to who is calling.

It runs on every API request, so it is built to cost next to nothing: the token's shape,
checksum, kind and environment are checked offline before any I/O, the lookup is one indexed
SELECT by SHA-256 hash (flat as the table grows) that also reads the token's grant and app by
primary key, so a revoked authorization or a disabled app is refused by the very statement that
finds the token (see :mod:`sellergate.accounts.families`), and "last used" is buffered in memory and
written in batches by :class:`LastUsedRecorder`, never once per request.

One write is synchronous: an OAuth access token's *first* use, once per token, before the
request runs. Until then a lost-response retry of the refresh that issued it may replace it
(:mod:`sellergate.oauth.rotation`); from then on such a retry is reuse.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Connection, Engine, Select, Table, bindparam, select, update

from sellergate.errors import InvalidToken
from sellergate.scopes import Scope, expand, parse_scopes
from sellergate.storage.database import commits_writes
from sellergate.storage.models import AccessToken, Client, Grant, Seller
from sellergate.storage.prebuilt import Prebuilt, PrebuiltAny, Reads, run_reads
from sellergate.storage.types import utcnow
from sellergate.tokens.format import MalformedToken, TokenKind, parse
from sellergate.tokens.hashing import token_hash


@dataclass(frozen=True, slots=True)
class AuthContext:
    """Who is calling: the seller, what the token allows, and the app if it is an OAuth token."""

    token_id: int
    seller_id: int
    scopes: frozenset[Scope]
    client_id: int | None = None
    grant_id: int | None = None
    username: str = ""
    # RFC 9449 §6: the thumbprint of the key a DPoP-bound token is bound to; None: a Bearer token.
    jkt: str | None = None
    # Every scope the token grants, implied ones included: worked out once per request, since
    # every guarded field asks.
    granted: frozenset[Scope] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "granted", expand(self.scopes))


def credentials_from_header(header: str | None) -> str:
    """The token from an ``Authorization`` header; the scheme is case-insensitive."""
    if not header:
        raise InvalidToken("no bearer token: send 'Authorization: Bearer <token>'")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise InvalidToken("the Authorization header must use the Bearer scheme")
    return value.strip()


# The columns the bearer check reads. Flags rather than timestamps: only whether they are set
# matters here, and a flag costs no datetime parsing per request.
_COLUMNS = (
    AccessToken.id,
    AccessToken.seller_id,
    AccessToken.client_id,
    AccessToken.grant_id,
    AccessToken.scopes,
    AccessToken.expires_at,
    Seller.username,
    AccessToken.revoked_at.is_not(None),
    Grant.revoked_at.is_not(None),
    Client.disabled_at.is_not(None),
    AccessToken.first_used_at.is_(None),
    AccessToken.jkt,
)


def _joined(statement: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    return (
        statement.join(Seller, Seller.id == AccessToken.seller_id)
        # Personal tokens have neither a grant nor an app: outer joins, on primary keys.
        .outerjoin(Grant, Grant.id == AccessToken.grant_id)
        .outerjoin(Client, Client.id == AccessToken.client_id)
    )


# Prebuilt: it runs on every API request, and SQLAlchemy's bookkeeping around one execution
# costs more than the statement itself (see :mod:`sellergate.storage.prebuilt`).
_LOOKUP = Prebuilt(_joined(select(*_COLUMNS)).where(AccessToken.token_hash == bindparam("digest")))
# The same for several tokens at once (:func:`found_reads`), each row led by its
# token's hash.
_LOOKUP_MANY = PrebuiltAny(
    _joined(select(AccessToken.token_hash, *_COLUMNS)), AccessToken.token_hash
)

Row = tuple[Any, ...]


def found_reads(tokens: Sequence[str]) -> Reads[list[tuple[str, Row | None]]]:
    """The rows of several tokens, with one statement: each token's hash and its row (None
    for an unknown token), in order, for :meth:`BearerVerifier.admit_each`."""
    digests = [token_hash(token) for token in tokens]
    found: dict[str, Row] = {row[0]: row[1:] for row in (yield _LOOKUP_MANY.read(digests))}
    return [(digest, found.get(digest)) for digest in digests]


# A token's scopes column holds one of few distinct strings: parse each once, not per request.
_parsed_scopes = lru_cache(maxsize=256)(parse_scopes)


class BearerVerifier:
    def __init__(self, engine: Engine, *, staging: bool, recorder: LastUsedRecorder) -> None:
        self.engine = engine
        self.staging = staging
        self.recorder = recorder

    def check_offline(self, token: str) -> None:
        """Everything that can be told without the database; raises :class:`InvalidToken`."""
        try:
            parsed = parse(token)
        except MalformedToken as exc:
            raise InvalidToken(f"malformed token: {exc}") from None
        if parsed.kind is not TokenKind.ACCESS:
            raise InvalidToken(f"this is not an access token (it starts {parsed.kind.value})")
        if parsed.staging != self.staging:
            if parsed.staging:
                raise InvalidToken("a staging token was sent to the production server")
            raise InvalidToken("a production token was sent to the staging server")

    def lookup(self, token: str, connection: Connection | None = None) -> AuthContext:
        """Who a token that passed :meth:`check_offline` belongs to; raises
        :class:`InvalidToken` saying what is wrong. Pass the request's own ``connection`` to
        save a checkout from the pool.
        """
        digest = token_hash(token)
        parameters = {"digest": digest}
        if connection is not None:
            row = _LOOKUP.first(connection, parameters)
        else:
            with self.engine.connect() as conn:
                row = _LOOKUP.first(conn, parameters)
        return self.admit(digest, row, connection)

    def lookup_many(
        self, tokens: Sequence[str], connection: Connection
    ) -> list[AuthContext | Exception]:
        """:meth:`lookup` for several tokens with one statement: each token's caller, or the
        error for it alone (:class:`InvalidToken` for an unknown, revoked or expired token).
        An error of the statement itself is raised: it concerns them all."""
        return self.admit_each(run_reads(connection, found_reads(tokens)), connection)

    def admit_each(
        self, found: Sequence[tuple[str, Row | None]], connection: Connection | None
    ) -> list[AuthContext | Exception]:
        """:meth:`admit` for each ``(digest, row)``: its caller, or the error for it alone."""
        answers: list[AuthContext | Exception] = []
        for digest, row in found:
            try:
                answers.append(self.admit(digest, row, connection))
            except Exception as error:  # this caller's alone (its first-use write, say)
                answers.append(error)
        return answers

    def admit(self, digest: str, row: Row | None, connection: Connection | None) -> AuthContext:
        """The checks on a token's row, however it was found: the one place that decides.
        Raises :class:`InvalidToken` saying what is wrong."""
        if row is None:
            raise InvalidToken("unknown token")
        (
            token_id,
            seller_id,
            client_id,
            grant_id,
            scopes,
            expires_at,
            username,
            revoked,
            grant_revoked,
            disabled,
            _unused,
            jkt,
        ) = row
        if disabled:
            raise InvalidToken("the app was disabled")
        if grant_revoked:
            raise InvalidToken("the authorization was revoked")
        if revoked:
            raise InvalidToken("the token was revoked")
        now = utcnow()
        if expires_at is not None and expires_at <= now:
            raise InvalidToken("the token expired")
        if self.writes_first_use(row):
            self._first_use(token_id, now, connection)
        self.recorder.touch(token_id, now)
        return AuthContext(
            token_id, seller_id, _parsed_scopes(scopes), client_id, grant_id, username, jkt
        )

    @staticmethod
    def writes_first_use(row: Row | None) -> bool:
        """Whether :meth:`admit` will write the token's first use (an OAuth access token not
        used yet)."""
        return row is not None and bool(row[10]) and row[3] is not None

    def _first_use(self, token_id: int, now: datetime, connection: Connection | None) -> None:
        """Record an OAuth access token's first use: one conditional write per token, made
        only while the column is still empty. It changes nothing if another request's first
        use came first (fine), or if a retry of its refresh revoked the token since the lookup:
        then the token is refused, as if the lookup had come after."""
        if connection is not None and commits_writes(connection):
            record_first_use(connection, token_id, now)
            return
        with self.engine.begin() as own:
            record_first_use(own, token_id, now)


_FIRST_USE = Prebuilt(
    update(cast(Table, AccessToken.__table__))
    .where(
        AccessToken.id == bindparam("token_id"),
        AccessToken.first_used_at.is_(None),
        AccessToken.revoked_at.is_(None),
    )
    .values(first_used_at=bindparam("now"))
)
_REVOKED = select(AccessToken.revoked_at.is_not(None)).where(
    AccessToken.id == bindparam("token_id")
)


def record_first_use(connection: Connection, token_id: int, now: datetime) -> None:
    """Write the access token's first use on ``connection`` unless it is already written;
    :class:`InvalidToken` if the token was revoked meanwhile."""
    if _FIRST_USE.rowcount(connection, {"token_id": token_id, "now": now}) == 1:
        return
    if connection.execute(_REVOKED, {"token_id": token_id}).scalar():
        raise InvalidToken("the token was revoked")


class LastUsedRecorder:
    """Buffers "last used" times in memory; :meth:`flush` writes them in one batch.

    Request threads touch while a flush swaps the buffer out, so both take the lock: a touch
    landing between the swap and the write would otherwise go to the old, already-taken dict
    and be lost.
    """

    def __init__(self) -> None:
        self._pending: dict[int, datetime] = {}
        self._lock = threading.Lock()

    def touch(self, token_id: int, when: datetime) -> None:
        with self._lock:
            self._pending[token_id] = when

    def flush(self, engine: Engine) -> int:
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return 0
        statement = (
            update(AccessToken)
            .where(AccessToken.id == bindparam("token_id"))
            .values(last_used_at=bindparam("used_at"))
        )
        rows = [{"token_id": key, "used_at": value} for key, value in pending.items()]
        try:
            with engine.begin() as conn:
                conn.execute(statement.execution_options(synchronize_session=False), rows)
        except Exception:
            # Put them back for the next flush, behind any newer time touched meanwhile.
            with self._lock:
                self._pending = {**pending, **self._pending}
            raise
        return len(rows)
