"""The bearer lookup of the hot paths (GraphQL queries, ``/gateway/verify``), coalesced.

On PostgreSQL the lookups that the requests of a worker process ask for while its event loop is
busy go together: one statement (``token_hash = ANY(:digests)``) for the whole batch
(:mod:`sellergate.storage.coalesce`), sent by the event loop itself on a connection it keeps
(:mod:`sellergate.storage.loopreads`), which serves other requests until the rows are back. A
token's first use is a write: a batch with one is admitted in a worker thread. When something
listens to the engine's statements the batch runs in a worker thread on the engine's own
connection, where it is seen.
Nothing is cached: each batch reads after its callers asked, so a revocation is seen at once on
every node. Each token is then checked by the same code as a single lookup
(:meth:`BearerVerifier.admit`: revoked, expired, a disabled app or a revoked authorization, the
first use of an OAuth token, "last used"), and a caller's bad token affects no one else; a
database fault fails the whole batch, and each of its requests is answered 503.

Introspection (RFC 7662) likewise: the app and the token asked about are read for a batch of
requests with two statements (:class:`IntrospectionLookups`), and Authlib's endpoint
then runs on the event loop over what was read (:class:`PrefetchedStorage`). Should it ask the
storage for anything else (a request that names its app some other way), it runs again as
before, in a worker thread on a connection of its own.

The token, PAR and revocation endpoints write, in a transaction each; on PostgreSQL the app a
request names is read before that transaction starts, batched like the others
(:class:`ClientLookups`), and the endpoint authenticates the app against that record
(:class:`~sellergate.accounts.oauth_storage.SqlOAuthStorage`'s ``known``): the transaction
runs one statement and one round trip less (a refresh: 1,035-1,110 -> 1,095-1,240 req/s).
What the app may have become by the time the transaction runs is checked in it as before: a
refresh reads whether the app is disabled under the grant's lock, a code exchange when it
creates the grant.

On SQLite a lookup runs inline on the event loop in microseconds: there is nothing to save,
and it keeps its single path. The app of a token request is read first there too, on the
event loop: the request's transaction then begins at its first write, and the file's write
lock is not held while Authlib checks the request and the app's credentials (web.dbcall).
``SELLERGATE_COALESCE_LOOKUPS=false`` turns coalescing off.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Connection

from sellergate.accounts.bearer import AuthContext, BearerVerifier, Row, found_reads
from sellergate.accounts.client_tokens import client_tokens_reads
from sellergate.accounts.clients import client_records_reads, find_client_record
from sellergate.accounts.oauth_storage import KnownClient, SqlOAuthStorage
from sellergate.errors import InvalidToken
from sellergate.oauth.records import ClientRecord, TokenInfo
from sellergate.oauth.requests import OAuthRequest
from sellergate.storage.coalesce import BatchSizes, Coalescer
from sellergate.storage.database import Database
from sellergate.storage.loopreads import LoopReads
from sellergate.storage.prebuilt import Reads, run_reads
from sellergate.web.credentials import basic_client_id
from sellergate.web.dbcall import DatabaseCalls

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")
T = TypeVar("T")


class _Lookups(ABC, Generic[K, R]):
    """One per process: the database calls of one kind of lookup, and its batches, coalesced
    on a networked database unless ``SELLERGATE_COALESCE_LOOKUPS`` is off."""

    def __init__(
        self, db: Database, *, coalesce: bool = True, observe: Callable[[int], None] | None = None
    ) -> None:
        self.calls = DatabaseCalls(db)
        self.coalesced = coalesce and not self.calls.reads_inline
        self.batches: Coalescer[K, R] = Coalescer(self._batch, BatchSizes(observe))
        self.loop_reads = LoopReads(db) if self.coalesced else None

    @abstractmethod
    async def _batch(self, keys: list[K]) -> Sequence[R | Exception]:
        """The answer to each key of a batch, in order (an exception for a caller's own
        failure)."""

    async def _read(self, reads: Reads[T]) -> T:
        """A batch's reads, on the event loop (storage.loopreads); in a worker thread when
        something listens to the engine's statements, which it sees only there."""
        if self.loop_reads is None or self.loop_reads.observed:
            return await self.calls.read(False, run_reads, reads)
        return await self.loop_reads.run(reads)

    async def aclose(self) -> None:
        """Close what this loop kept open (the app's shutdown)."""
        if self.loop_reads is not None:
            await self.loop_reads.aclose()


class BearerLookups(_Lookups[str, AuthContext]):
    """Shared by every endpoint that checks bearer tokens, so that their lookups batch
    together."""

    def __init__(
        self,
        db: Database,
        verifier: BearerVerifier,
        *,
        coalesce: bool = True,
        observe: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(db, coalesce=coalesce, observe=observe)
        self.verifier = verifier

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
        found = await self._read(found_reads(tokens))
        if not any(self.verifier.writes_first_use(row) for _, row in found):
            return self.verifier.admit_each(found, None)
        # A first use is a write (once in an OAuth token's life): a batch with one is admitted
        # in a worker thread, which writes it, from the rows already read.
        return await self.calls.read(False, self._admit, found)

    def _admit(
        self, connection: Connection, found: Sequence[tuple[str, Row | None]]
    ) -> list[AuthContext | Exception]:
        return self.verifier.admit_each(found, connection)


# An introspection request's app (its client_id) and the token it asks about.
Asked = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Prefetched:
    asked: Asked
    client: ClientRecord | None
    token: TokenInfo | None


class IntrospectionLookups(_Lookups[Asked, Prefetched]):
    """The reads of introspection requests, batched."""

    def __init__(
        self,
        db: Database,
        *,
        staging: bool,
        coalesce: bool = True,
        observe: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(db, coalesce=coalesce, observe=observe)
        self.staging = staging

    async def prefetch(self, request: OAuthRequest) -> Prefetched | None:
        """What introspection will read for ``request``, or None if it cannot be told before
        the endpoint runs (then it reads for itself)."""
        token = request.form.get("token")
        client_id = named_client(request)
        if not token or not client_id:
            return None
        return await self.batches.load((client_id, token))

    async def _batch(self, asked: list[Asked]) -> Sequence[Prefetched | Exception]:
        return await self._read(self._reads(asked))

    def _reads(self, asked: list[Asked]) -> Reads[list[Prefetched | Exception]]:
        clients = yield from client_records_reads(client_id for client_id, _ in asked)
        wanted = [(token, clients[c].pk) for c, token in asked if c in clients]
        infos = iter((yield from client_tokens_reads(wanted, staging=self.staging)))
        return [
            Prefetched((c, token), clients.get(c), next(infos) if c in clients else None)
            for c, token in asked
        ]


def named_client(request: OAuthRequest) -> str | None:
    """The ``client_id`` a form request names, by HTTP Basic or in its body."""
    return basic_client_id(request.headers.get("Authorization")) or request.form.get("client_id")


class ClientLookups(_Lookups[str, ClientRecord | None]):
    """The app a token, PAR or revocation request names, read before its transaction: batched
    when lookups are coalesced, and on SQLite on the event loop, where it is the first
    statement no longer, and the write lock waits for the first write."""

    async def prefetch(self, request: OAuthRequest) -> KnownClient | None:
        """The app ``request`` names, as it is now; None when it names none, or on a networked
        database with coalescing off (the transaction then reads it)."""
        client_id = named_client(request)
        if not client_id:
            return None
        if self.coalesced:
            return KnownClient(client_id, await self.batches.load(client_id))
        if self.calls.reads_inline:
            return KnownClient(
                client_id, await self.calls.read(False, find_client_record, client_id)
            )
        return None

    async def _batch(self, client_ids: list[str]) -> Sequence[ClientRecord | Exception | None]:
        found = await self._read(client_records_reads(client_ids))
        return [found.get(client_id) for client_id in client_ids]


class PrefetchedStorage(SqlOAuthStorage):
    """The OAuth storage over what :class:`IntrospectionLookups` read, with no connection:
    anything else raises :class:`~sellergate.storage.handles.NoDatabase`."""

    def __init__(self, found: Prefetched, address: str, *, staging: bool) -> None:
        known = KnownClient(found.asked[0], found.client)
        super().__init__(address=address, offline=True, known=known)
        self.found = found
        self.staging = staging

    def find_client_token(self, token: str, client_pk: int, *, staging: bool) -> TokenInfo | None:
        client = self.found.client
        asked = (token, client_pk, staging)
        if client is None or asked != (self.found.asked[1], client.pk, self.staging):
            return super().find_client_token(token, client_pk, staging=staging)
        return self.found.token
