"""Coalesced bearer lookups (``storage.coalesce``, ``web.lookups``): concurrent requests share
one statement, each gets its own answer, nothing is cached, a fault answers 503 to the whole
batch, and a lone request never waits."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from graphql import OperationDefinitionNode, parse
from sqlalchemy import event, text

from gateway.support import AppToken, app_token
from inprocess import BASE_URL, Send, on_own_loop, together
from sellergate.accounts.access_tokens import mint_access_token
from sellergate.accounts.bearer import AuthContext, BearerVerifier, LastUsedRecorder
from sellergate.accounts.clients import disable_client
from sellergate.accounts.families import revoke_family
from sellergate.accounts.personal_tokens import revoke_token
from sellergate.accounts.sellers import create_seller
from sellergate.api.context import ApiContext
from sellergate.api.offline import needs_database
from sellergate.config import Settings, load_settings
from sellergate.errors import InvalidToken
from sellergate.oauth.metadata import INTROSPECT_PATH, TOKEN_PATH
from sellergate.oauth.records import ClientRecord, RevocationReason
from sellergate.scopes import Scope
from sellergate.storage.coalesce import Coalescer
from sellergate.storage.database import Database
from sellergate.storage.handles import NoDatabase
from sellergate.storage.types import utcnow
from sellergate.tokens.format import TokenKind, generate
from sellergate.tokens.hashing import token_hash
from sellergate.web.app import create_app
from sellergate.web.dbcall import DatabaseCalls
from sellergate.web.lookups import BearerLookups, Prefetched, PrefetchedStorage

T = TypeVar("T")
ME = {"query": "{ me { id username } }"}
OAUTH_SCOPES = [Scope.READ_ORDERS]


@dataclass
class Tokens:
    good: str
    oauth: str  # an app's token, never used yet: its first use is written
    revoked: str
    expired: str
    disabled_app: str
    revoked_grant: str
    unknown: str


def seed(db: Database) -> Tokens:
    staging = not db.settings.production
    with db.session(write=True) as session:
        seller = create_seller(session, "alice", "alice@example.com", None)

        def personal(**kwargs: Any) -> Any:
            return mint_access_token(
                session.connection(),
                seller_id=seller.id,
                scopes=[Scope.FULL_ACCESS],
                staging=staging,
                **kwargs,
            )

        def app(name: str) -> AppToken:
            return app_token(session, db.settings, seller.id, OAUTH_SCOPES, name=name)

        good = personal(expires_at=None).token
        revoked = personal(expires_at=None)
        expired = personal(expires_at=utcnow() - timedelta(seconds=1)).token
        oauth = app("App").token
        disabled = app("Disabled app")
        revoked_grant = app("Revoked app")
        session.flush()
        revoke_token(session, revoked.token_id)
        disable_client(session, disabled.client_id)
        revoke_family(session, revoked_grant.grant_id, RevocationReason.DISCONNECTED)
    return Tokens(
        good=good,
        oauth=oauth,
        revoked=revoked.token,
        expired=expired,
        disabled_app=disabled.token,
        revoked_grant=revoked_grant.token,
        unknown=generate(TokenKind.ACCESS, staging=staging),
    )


EXPECTED_REFUSALS = {
    "revoked": "the token was revoked",
    "expired": "the token expired",
    "disabled_app": "the app was disabled",
    "revoked_grant": "the authorization was revoked",
    "unknown": "unknown token",
}


@pytest.fixture
def lookups_seen(db: Database) -> Iterator[list[str]]:
    """The bearer lookups the engine runs (a listener: prebuilt statements then run through
    SQLAlchemy, where it sees them)."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        statement = str(args[2])
        if statement.lstrip().upper().startswith("SELECT") and "access_tokens" in statement:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def test_a_mixed_batch_is_one_statement_and_each_caller_gets_its_own_answer(
    db: Database, lookups_seen: list[str]
) -> None:
    tokens = seed(db)
    verifier = BearerVerifier(db.engine, staging=True, recorder=LastUsedRecorder())
    calls = DatabaseCalls(db)

    async def batch(keys: list[str]) -> list[AuthContext | Exception]:
        return await calls.read(False, lambda c, k: verifier.lookup_many(k, c), keys)

    coalescer: Coalescer[str, AuthContext] = Coalescer(batch)
    names = list(vars(tokens))

    async def main() -> list[AuthContext | BaseException]:
        loads = [coalescer.load(getattr(tokens, name)) for name in names]
        # The good token twice: two callers of one key share its answer.
        loads.append(coalescer.load(tokens.good))
        return await asyncio.gather(*loads, return_exceptions=True)

    lookups_seen.clear()
    answers = on_own_loop(main)
    assert len(lookups_seen) == 1, lookups_seen
    assert coalescer.sizes.batches == 1 and coalescer.sizes.largest == len(names) + 1
    outcome = dict(zip(names, answers, strict=False))
    _each_got_its_own_answer(db, tokens, outcome)
    assert answers[-1] == outcome["good"]


def _each_got_its_own_answer(db: Database, tokens: Tokens, outcome: dict[str, Any]) -> None:
    """The refusals, the personal and the OAuth token's callers, and the OAuth token's first
    use written by the batch, as by a single lookup."""
    for name, message in EXPECTED_REFUSALS.items():
        refused = outcome[name]
        assert isinstance(refused, InvalidToken) and str(refused) == message, name
    good, oauth = outcome["good"], outcome["oauth"]
    assert isinstance(good, AuthContext) and good.username == "alice" and good.client_id is None
    assert isinstance(oauth, AuthContext) and oauth.client_id is not None
    with db.engine.connect() as connection:
        used = connection.execute(
            text("SELECT first_used_at FROM access_tokens WHERE token_hash = :digest"),
            {"digest": token_hash(tokens.oauth)},
        ).scalar()
    assert used is not None


@pytest.mark.databases("postgresql")
def test_a_batch_read_on_the_event_loop_answers_each_caller_and_writes_a_first_use(
    db: Database,
) -> None:
    tokens = seed(db)
    verifier = BearerVerifier(db.engine, staging=True, recorder=LastUsedRecorder())
    lookups = BearerLookups(db, verifier)
    names = list(vars(tokens))
    kept: list[object] = []

    async def main() -> list[AuthContext | InvalidToken]:
        try:
            return await asyncio.gather(*(lookups.lookup(getattr(tokens, n)) for n in names))
        finally:
            kept.extend(lookups.loop_reads._kept.values() if lookups.loop_reads else ())
            await lookups.aclose()

    answers = dict(zip(names, on_own_loop(main), strict=True))
    # One batch, read on the loop's own connection (nothing listens to the statements); the
    # OAuth token's first use, a write, made in a worker thread.
    assert lookups.batches.sizes.batches == 1 and len(kept) == 1
    _each_got_its_own_answer(db, tokens, answers)


def test_a_single_lookup_and_a_batched_one_agree(db: Database) -> None:
    tokens = seed(db)
    verifier = BearerVerifier(db.engine, staging=True, recorder=LastUsedRecorder())
    with db.engine.connect() as connection:
        batched = verifier.lookup_many(list(vars(tokens).values()), connection)
    for token, answer in zip(vars(tokens).values(), batched, strict=True):
        try:
            single: AuthContext | Exception = verifier.lookup(token)
        except InvalidToken as refused:
            single = refused
        assert type(single) is type(answer)
        assert (single == answer) if isinstance(answer, AuthContext) else str(single) == str(answer)


# The web layer: coalescing runs on PostgreSQL (SQLite looks each token up inline).


# These tests count the bearer lookups alone: the limiter's own first read of each token's app
# (web.ratelimit.TokenApps, once per token and process, not batched) is kept out of the count.
LOOKUPS_ONLY = {"rate_limit_app": "off"}


def _app(settings: Settings, db: Database) -> Any:
    return create_app(settings, db)


def _concurrently(
    app: Any, requests: list[tuple[str, str, dict[str, str]]]
) -> list[httpx.Response]:
    def send(method: str, path: str, headers: dict[str, str]) -> Send:
        if method == "POST":
            return lambda http: http.post(path, json=ME, headers=headers)
        return lambda http: http.get(path, headers=headers)

    return together(app, [send(*request) for request in requests])


GATEWAY_ROUTES = '[[route]]\nmethods = ["GET"]\npath = "/v1/**"\nscopes = []\n'


@pytest.mark.databases("postgresql")
def test_concurrent_api_and_gateway_requests_share_one_lookup(
    make_settings: Callable[..., Settings],
    db: Database,
    lookups_seen: list[str],
    tmp_path: Path,
) -> None:
    (tmp_path / "routes.toml").write_text(GATEWAY_ROUTES)
    settings = make_settings(gateway_routes=str(tmp_path / "routes.toml"), **LOOKUPS_ONLY)
    tokens = seed(db)
    app = _app(settings, db)
    names = list(vars(tokens))
    requests = [
        ("POST", "/seller-api/graphql", {"Authorization": f"Bearer {getattr(tokens, n)}"})
        for n in names
    ]
    gateway = {"Authorization": f"Bearer {tokens.good}", "X-Original-URI": "/v1/orders"}
    requests.append(("GET", "/gateway/verify", {"X-Original-Method": "GET", **gateway}))
    lookups_seen.clear()
    responses = _concurrently(app, requests)
    assert len(lookups_seen) == 1, lookups_seen
    sizes = app.state.lookups.batches.sizes
    assert (sizes.batches, sizes.largest) == (1, len(requests))
    by_name = dict(zip(names, responses, strict=False))
    for name in ("good", "oauth"):
        assert by_name[name].json() == {
            "data": {"me": {"id": by_name[name].json()["data"]["me"]["id"], "username": "alice"}}
        }
    for name, message in EXPECTED_REFUSALS.items():
        assert by_name[name].status_code == 401, name
        assert message in by_name[name].headers["www-authenticate"], name
    verdict = responses[-1]
    assert verdict.status_code == 200 and "x-sellergate-seller-id" in verdict.headers
    # The batch's size is in /metrics.
    metrics = _concurrently(app, [("GET", "/metrics", {})])[0].text
    assert 'sellergate_lookup_batch_size_count{lookup="bearer"} 1.0' in metrics
    assert f'sellergate_lookup_batch_size_sum{{lookup="bearer"}} {len(requests)}.0' in metrics


@pytest.mark.databases("postgresql")
def test_a_revocation_is_seen_by_the_next_request(
    make_settings: Callable[..., Settings], db: Database
) -> None:
    settings = make_settings(**LOOKUPS_ONLY)
    with db.session(write=True) as session:
        seller = create_seller(session, "bob", "bob@example.com", None)
        minted = mint_access_token(
            session.connection(),
            seller_id=seller.id,
            scopes=[Scope.FULL_ACCESS],
            staging=True,
            expires_at=None,
        )
    app = _app(settings, db)
    request = [("POST", "/seller-api/graphql", {"Authorization": f"Bearer {minted.token}"})] * 3
    assert [r.status_code for r in _concurrently(app, request)] == [200] * 3
    with db.session(write=True) as session:
        revoke_token(session, minted.token_id)
    answers = _concurrently(app, request)
    assert [r.status_code for r in answers] == [401] * 3
    assert app.state.lookups.batches.sizes.batches == 2


@pytest.mark.databases("postgresql")
def test_turned_off_each_request_looks_up_alone(
    make_settings: Callable[..., Settings], db: Database, lookups_seen: list[str]
) -> None:
    settings = make_settings(coalesce_lookups=False, **LOOKUPS_ONLY)
    tokens = seed(db)
    app = _app(settings, db)
    request = [("POST", "/seller-api/graphql", {"Authorization": f"Bearer {tokens.good}"})] * 4
    lookups_seen.clear()
    assert [r.status_code for r in _concurrently(app, request)] == [200] * 4
    assert len(lookups_seen) == 4
    assert app.state.lookups.batches.sizes.batches == 0


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.databases("postgresql")
def test_a_database_fault_answers_503_to_every_caller_of_the_batch(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A database server that cannot be reached: nothing listens on the port.
    settings = load_settings(
        database_url=f"postgresql+psycopg://sellergate@127.0.0.1:{_closed_port()}/none",
        data_dir=str(tmp_path),
        **LOOKUPS_ONLY,
    )
    db = Database(settings)
    try:
        app = _app(settings, db)
        tokens = [generate(TokenKind.ACCESS, staging=True) for _ in range(6)]
        requests = [
            ("POST", "/seller-api/graphql", {"Authorization": f"Bearer {token}"})
            for token in tokens
        ]
        with caplog.at_level(logging.WARNING, logger="sellergate.database"):
            answers = _concurrently(app, requests)
    finally:
        db.dispose()
    assert [r.status_code for r in answers] == [503] * 6
    assert all(r.headers.get("retry-after") for r in answers)
    assert {r.json()["errors"][0]["extensions"]["code"] for r in answers} == {"SERVICE_UNAVAILABLE"}
    sizes = app.state.lookups.batches.sizes
    assert (sizes.batches, sizes.largest) == (1, 6)
    # The outage log saw it, once (not a line per caller).
    assert [r.getMessage().startswith("database unavailable (") for r in caplog.records].count(
        True
    ) == 1


# The batcher itself.


def test_a_lone_load_goes_at_once_and_arrivals_during_a_batch_form_the_next() -> None:
    batches: list[list[str]] = []
    gate: asyncio.Event

    async def batch(keys: list[str]) -> list[str | Exception]:
        batches.append(keys)
        await gate.wait()
        return [key.upper() if key != "bad" else InvalidToken("bad key") for key in keys]

    async def main() -> tuple[int, list[str | BaseException]]:
        nonlocal gate
        gate = asyncio.Event()
        coalescer: Coalescer[str, str] = Coalescer(batch)
        first = asyncio.ensure_future(coalescer.load("a"))
        turns = 0
        while not batches:  # the batch leaves on the loop's next turn: no timer
            await asyncio.sleep(0)
            turns += 1
        later = [asyncio.ensure_future(coalescer.load(key)) for key in ("b", "bad", "c")]
        for _ in range(5):
            await asyncio.sleep(0)
        assert batches == [["a"]], "nothing joins a batch in flight, nor leaves beside it"
        gate.set()
        answers = await asyncio.gather(first, *later, return_exceptions=True)
        return turns, answers

    turns, answers = on_own_loop(main)
    assert turns <= 3  # the load task, the dispatch, the batch task: no timer
    assert batches == [["a"], ["b", "bad", "c"]]
    assert answers[:2] == ["A", "B"] and answers[3] == "C"
    assert isinstance(answers[2], InvalidToken)


def test_a_failing_batch_fails_each_of_its_callers() -> None:
    async def batch(keys: list[str]) -> list[str | Exception]:
        raise ConnectionError("the database went away")

    async def main() -> list[str | BaseException]:
        coalescer: Coalescer[str, str] = Coalescer(batch)
        return await asyncio.gather(*(coalescer.load(k) for k in "xyz"), return_exceptions=True)

    answers = on_own_loop(main)
    assert all(isinstance(answer, ConnectionError) for answer in answers)


@pytest.mark.parametrize(
    ("document", "needed"),
    [
        ("{ me { id username } }", False),
        (
            "query Me { __typename me { ... on Seller { name: username } ...F } } "
            "fragment F on Seller { id }",
            False,
        ),
        ("{ me { id } products(first: 1) { edges { node { id } } } }", True),
        ('{ node(id: "x") { id } }', True),
        ("mutation { __typename }", True),
        ("{ me { ...F } } fragment F on Seller { ...F }", True),
    ],
)
def test_which_operations_need_the_database(document: str, needed: bool) -> None:
    parsed = parse(document)
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    assert needs_database(operation, parsed.definitions) is needed


def test_an_offline_context_has_no_database() -> None:
    auth = AuthContext(token_id=1, seller_id=1, scopes=frozenset())
    context = ApiContext(auth, load_settings(), offline=True)
    with pytest.raises(RuntimeError, match="no database"):
        _ = context.connection
    with pytest.raises(ValueError):
        ApiContext(auth, load_settings())


def test_lookups_coalesce_only_on_a_networked_database(db: Database, database: str) -> None:
    verifier = BearerVerifier(db.engine, staging=True, recorder=LastUsedRecorder())
    assert BearerLookups(db, verifier).coalesced is (database == "postgresql")
    assert BearerLookups(db, verifier, coalesce=False).coalesced is False


def test_a_fragment_bomb_is_judged_in_linear_time() -> None:
    levels = 60  # 2^60 fields once expanded
    fragments = " ".join(
        f"fragment F{n} on Seller {{ ...F{n + 1} ...F{n + 1} }}" for n in range(levels)
    )
    parsed = parse(f"{{ me {{ ...F0 }} }} {fragments} fragment F{levels} on Seller {{ username }}")
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    assert needs_database(operation, parsed.definitions) is False


# Introspection (RFC 7662): the app and the token of concurrent requests, read together.


@pytest.fixture
def selects_seen(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        if str(args[2]).lstrip().upper().startswith("SELECT"):
            seen.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


@pytest.mark.databases("postgresql")
def test_concurrent_introspections_share_their_reads(
    make_settings: Callable[..., Settings], db: Database, selects_seen: list[str]
) -> None:
    settings = make_settings()
    tokens = seed(db)
    with db.session(write=True) as session:
        seller_id = session.execute(text("SELECT min(id) FROM sellers")).scalar_one()
        resource = app_token(session, settings, seller_id, OAUTH_SCOPES, name="Resource server")
    own, secret = resource.token, resource.secret
    basic = httpx.BasicAuth(resource.client_id, secret)
    wrong = httpx.BasicAuth(resource.client_id, "not-the-secret")
    asked = [
        (own, basic, 200, True),
        (tokens.oauth, basic, 200, False),  # another app's token
        (tokens.good, basic, 200, False),  # a personal token
        (tokens.unknown, basic, 200, False),
        (own, wrong, 401, None),
        (own, basic, 200, True),
    ]
    app = _app(settings, db)

    def introspect(token: str, auth: httpx.Auth) -> Send:
        return lambda http: http.post(INTROSPECT_PATH, data={"token": token}, auth=auth)

    selects_seen.clear()
    answers = together(app, [introspect(token, auth) for token, auth, _, _ in asked])
    for (_, _, status, active), answer in zip(asked, answers, strict=True):
        assert answer.status_code == status
        if active is not None:
            assert answer.json()["active"] is active
    assert answers[0].json()["client_id"] == resource.client_id
    sizes = app.state.introspection.batches.sizes
    assert (sizes.batches, sizes.largest) == (1, len(asked))
    # One read of the apps, one of the access tokens: for the whole batch.
    assert len(selects_seen) == 2, selects_seen


@pytest.mark.databases("postgresql")
def test_each_kind_of_batch_keeps_one_connection_on_the_loop(
    make_settings: Callable[..., Settings], db: Database
) -> None:
    """docs/deployment.md: three connections per worker for the batched lookups, one each for
    bearer tokens, introspection and the app a token request names."""
    settings = make_settings()
    tokens = seed(db)
    with db.session(write=True) as session:
        seller_id = session.execute(text("SELECT min(id) FROM sellers")).scalar_one()
        resource = app_token(session, settings, seller_id, OAUTH_SCOPES, name="Resource server")
    basic = httpx.BasicAuth(resource.client_id, resource.secret)
    app = _app(settings, db)
    batched = [app.state.lookups, app.state.introspection, app.state.clients]
    auth = {"Authorization": f"Bearer {tokens.good}"}

    async def main() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            for _ in range(3):
                me = await http.post("/seller-api/graphql", json=ME, headers=auth)
                assert me.status_code == 200, me.text
                seen = await http.post(INTROSPECT_PATH, data={"token": tokens.oauth}, auth=basic)
                assert seen.status_code == 200, seen.text
                refused = await http.post(
                    TOKEN_PATH,
                    data={"grant_type": "refresh_token", "refresh_token": "not-a-token"},
                    auth=basic,
                )
                assert refused.json()["error"] == "invalid_grant", refused.text
        loop = asyncio.get_running_loop()
        kept = [len([k for k in b.loop_reads._kept if k is loop]) for b in batched]
        for lookups in batched:
            await lookups.aclose()
        return kept

    assert on_own_loop(main) == [1, 1, 1]
    assert [b.batches.sizes.batches for b in batched] == [3, 3, 3]


def test_prefetched_storage_reads_nothing_else(db: Database) -> None:
    record = ClientRecord(
        pk=1,
        client_id="app",
        name="App",
        public=False,
        secret_hash=None,
        redirect_uris=[],
        scopes="",
        disabled=False,
        dpop_mode="optional",
        require_par=False,
    )
    storage = PrefetchedStorage(Prefetched(("app", "tok"), record, None), "", staging=True)
    assert storage.find_client("app") is record
    assert storage.find_client_token("tok", 1, staging=True) is None
    with pytest.raises(NoDatabase):
        storage.find_client("another")
    with pytest.raises(NoDatabase):
        storage.find_client_token("another", 1, staging=True)
