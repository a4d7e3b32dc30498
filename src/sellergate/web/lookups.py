"""The bearer lookup of the hot paths (GraphQL queries, ``/gateway/verify``), coalesced.

On PostgreSQL the lookups that the requests of a worker process ask for while its event loop is
busy go together: one hop to a worker thread, one connection, one statement
(``token_hash = ANY(:digests)``) for the whole batch (:mod:`sellergate.storage.coalesce`).
Nothing is cached: each batch reads after its callers asked, so a revocation is seen at once on
every node. Each token is then checked by the same code as a single lookup
(:meth:`BearerVerifier.admit`: revoked, expired, a disabled app or a revoked authorization, the
first use of an OAuth token, "last used"), and a caller's bad token affects no one else; a
database fault fails the whole batch, and each of its requests is answered 503.

On SQLite a lookup runs inline on the event loop in microseconds: there is nothing to save,
and it keeps its single path. ``SELLERGATE_COALESCE_LOOKUPS=false`` turns coalescing off.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Connection

from sellergate.accounts.bearer import AuthContext, BearerVerifier
from sellergate.errors import InvalidToken
from sellergate.storage.coalesce import BatchSizes, Coalescer
from sellergate.storage.database import Database
from sellergate.web.dbcall import DatabaseCalls


class BearerLookups:
    """One per process: shared by every endpoint that checks bearer tokens, so that their
    lookups batch together."""

    def __init__(
        self,
        db: Database,
        verifier: BearerVerifier,
        *,
        coalesce: bool = True,
        observe: Callable[[int], None] | None = None,
    ) -> None:
        self.verifier = verifier
        self.calls = DatabaseCalls(db)
        self.coalesced = coalesce and not self.calls.reads_inline
        self.batches: Coalescer[str, AuthContext] = Coalescer(self._batch, BatchSizes(observe))

    async def lookup(self, token: str) -> AuthContext | InvalidToken:
        """Who ``token`` (offline checks passed) belongs to, or why it is refused. A database
        fault is raised (a 503)."""
        try:
            if self.coalesced:
                return await self.batches.load(token)
            return await self.calls.read(False, self._single, token)
        except InvalidToken as refused:
            return refused

    def _single(self, connection: Connection, token: str) -> AuthContext:
        return self.verifier.lookup(token, connection)

    async def _batch(self, tokens: list[str]) -> Sequence[AuthContext | Exception]:
        return await self.calls.read(False, self._many, tokens)

    def _many(self, connection: Connection, tokens: list[str]) -> list[AuthContext | Exception]:
        return self.verifier.lookup_many(tokens, connection)
