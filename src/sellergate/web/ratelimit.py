"""Rate limits with the IETF ``RateLimit-*`` headers, for the Seller API and the OAuth endpoints.

Budgets (docs/configuration.md):

- an API request is charged to its access token (keyed by the token's SHA-256, never the token)
  and, for an OAuth access token, to its app across all of the app's tokens; personal tokens
  have no app;
- a token, revocation or introspection request is charged to the client it names (HTTP Basic or
  the ``client_id`` form field) when the endpoint authenticated that client; any other (refused
  credentials, or refused before client authentication: a wrong method or content type, an
  unsupported grant, a repeated parameter) is charged, like a request that names no client, to
  its peer address;
- a request that names neither is charged to its peer address, and so is one whose token or
  client credentials are refused (401): made-up credentials cost their sender.

The counting is :mod:`sellergate.web.budgets`'s. Every response of these endpoints carries the
headers of the budget closest to running out; over it, ``429`` with ``Retry-After`` in the
endpoint's own error shape.

Which app a token belongs to is looked up (:class:`TokenApps`) the first time a process sees the
token, before its request runs, and then remembered: it never changes for a token. So every
request, the first of a fresh token too, is charged to its app and refused over the app's budget
before it runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import time
from collections import OrderedDict
from urllib.parse import parse_qsl

from limits import RateLimitItem
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sellergate.accounts.access_tokens import app_of_token
from sellergate.accounts.bearer import BearerVerifier
from sellergate.errors import InvalidToken, RateLimited, ServiceUnavailable
from sellergate.oauth import metadata as rfc8414
from sellergate.storage.database import Database
from sellergate.storage.faults import is_fault
from sellergate.tokens.hashing import token_hash
from sellergate.web.addresses import Networks, scope_address
from sellergate.web.budgets import Charge, Limiter, LimiterUnavailable, Verdict
from sellergate.web.credentials import basic_client_id
from sellergate.web.dbcall import DatabaseCalls
from sellergate.web.errors import Shape, error_response

log = logging.getLogger("sellergate.ratelimit")

GRAPHQL_PATH = "/seller-api/graphql"
# Set in the request's scope by the OAuth endpoints once they authenticated the client.
CLIENT_AUTHENTICATED = "sellergate.client_authenticated"
GATEWAY_PATH = "/gateway/verify"
OAUTH_PATHS = frozenset(
    {rfc8414.TOKEN_PATH, rfc8414.PAR_PATH, rfc8414.REVOKE_PATH, rfc8414.INTROSPECT_PATH}
)
# The OAuth endpoints accept no larger form (web.oauth); the client id is read from it.
MAX_FORM_BYTES = 16_384
KNOWN_APPS = 100_000


class TokenApps:
    """Which app (client row id, or none) each token belongs to, by the token's hash: read from
    the database the first time this process sees a token, then remembered. A token that the
    bearer check refuses without the database (malformed, mistyped, not an access token, the
    other environment's) is not looked up here either, and unknown tokens are not remembered
    (made-up ones would only fill the memory): their request is answered 401."""

    def __init__(self, db: Database, verifier: BearerVerifier, size: int = KNOWN_APPS) -> None:
        self._calls = DatabaseCalls(db)
        self._verifier = verifier
        self._apps: OrderedDict[str, int | None] = OrderedDict()
        self._size = size

    async def app_of(self, token: str, digest: str) -> int | None:
        """The app of ``token``, whose hash is ``digest``."""
        if digest in self._apps:
            return self._apps[digest]
        try:
            self._verifier.check_offline(token)
        except InvalidToken:
            return None
        found, app = await self._calls.read(False, app_of_token, digest)
        if found:
            self._apps[digest] = app
            if len(self._apps) > self._size:
                self._apps.popitem(last=False)
        return app


class RefusedAddresses:
    """Addresses whose budget ran out on bad tokens, until their window resets: remembered in
    the process, so that a good request pays no extra round trip to the store. Each node learns
    it at its own next bad token, which the shared budget then refuses at once."""

    def __init__(self, size: int = 10_000) -> None:
        self._until: OrderedDict[str, tuple[float, Verdict]] = OrderedDict()
        self._size = size

    def remember(self, address: str, verdict: Verdict) -> None:
        self._until[address] = (time.monotonic() + verdict.reset, verdict)
        if len(self._until) > self._size:
            self._until.popitem(last=False)

    def verdict(self, address: str) -> Verdict | None:
        entry = self._until.get(address)
        if entry is None:
            return None
        until, verdict = entry
        left = math.ceil(until - time.monotonic())
        if left <= 0:
            del self._until[address]
            return None
        return dataclasses.replace(verdict, reset=left)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def _bearer_token(scope: Scope) -> str | None:
    scheme, _, value = _header(scope, b"authorization").strip().partition(" ")
    # RFC 9449 §7.1: a DPoP-bound token is charged to its budget like a Bearer one.
    if scheme.lower() not in ("bearer", "dpop") or not value.strip():
        return None
    return value.strip()


class RateLimitMiddleware:
    """Charges API and OAuth requests to their budgets and adds the headers to the response."""

    def __init__(
        self, app: ASGIApp, limiter: Limiter, apps: TokenApps, proxies: Networks = ()
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.apps = apps
        self.proxies = proxies
        self.refused_addresses = RefusedAddresses()

    def _address(self, scope: Scope) -> str:
        return scope_address(scope, self.proxies) or "unknown"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == GRAPHQL_PATH and scope["method"] == "POST":
            await self._api(scope, receive, send, Shape.GRAPHQL)
        elif path == GATEWAY_PATH or path.startswith(GATEWAY_PATH + "/"):
            # The gateway decision spends the same budgets as the API call it admits.
            await self._api(scope, receive, send, Shape.JSON)
        elif path in OAUTH_PATHS:
            await self._oauth(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _api(self, scope: Scope, receive: Receive, send: Send, shape: Shape) -> None:
        limiter = self.limiter
        token = _bearer_token(scope)
        digest = None if token is None else token_hash(token)
        address = self._address(scope)
        charges: list[Charge] = []
        if digest is None:
            _add(charges, limiter.address, "address:" + address)
        else:
            if (blocked := self.refused_addresses.verdict(address)) is not None:
                await _refuse(scope, receive, send, blocked, shape)
                return
            _add(charges, limiter.token, "token:" + digest)
            if limiter.app is not None and token is not None:
                try:
                    app = await self.apps.app_of(token, digest)
                except Exception as exc:
                    if not is_fault(exc):
                        raise
                    await _unavailable(scope, receive, send, shape)
                    return
                if app is not None:
                    _add(charges, limiter.app, f"app:{app}")
        statuses: list[int] = []
        await self._charged(charges, scope, receive, send, shape, statuses)
        if digest is None:
            return
        status = statuses[0] if statuses else 0
        # The request has been answered: with the store down there is nothing left to refuse.
        with contextlib.suppress(LimiterUnavailable):
            if status == 401 and limiter.address is not None:
                # Anyone can make up well-formed tokens, each with a fresh budget: unknown and
                # dead ones are charged to the address too, which is refused once it runs out.
                verdict = await limiter.charge([(limiter.address, "address:" + address)])
                if verdict is not None and not verdict.allowed:
                    self.refused_addresses.remember(address, verdict)

    async def _oauth(self, scope: Scope, receive: Receive, send: Send) -> None:
        limiter = self.limiter
        client_id = basic_client_id(_header(scope, b"authorization"))
        if client_id is None and scope["method"] == "POST":
            body, receive = await _buffer_body(receive)
            client_id = _form_client(body)
        address: list[Charge] = []
        _add(address, limiter.address, "address:" + self._address(scope))
        if client_id is None:
            await self._charged(address, scope, receive, send, Shape.JSON)
            return
        named: list[Charge] = []
        _add(named, limiter.client, "client:" + client_id)
        # Charged first, atomically, so a concurrent burst cannot all pass a look at the budget.
        # Anyone can write a client_id, though: when the endpoint did not authenticate the
        # client (refused credentials, or a request refused before client authentication), the
        # hit is taken back and the sender's address pays instead, so that nobody can spend
        # another app's budget. A moving window cannot take a hit back: there the budget is
        # only looked at first and charged once the client is known.
        charge_first = limiter.refunds
        try:
            verdict = await limiter.charge(named, consume=charge_first)
        except LimiterUnavailable:
            await _unavailable(scope, receive, send, Shape.JSON)
            return
        if verdict is not None and not verdict.allowed:
            await _refuse(scope, receive, send, verdict, Shape.JSON)
            return

        async def charge_on_answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                authenticated = bool(scope.get(CLIENT_AUTHENTICATED))
                try:
                    if authenticated:
                        answered = verdict if charge_first else await limiter.charge(named)
                    else:
                        if charge_first:
                            await limiter.refund(named)
                        answered = await limiter.charge(address)
                except LimiterUnavailable:
                    answered = None  # the answer is made; there is nothing left to refuse
                if answered is not None:
                    headers = dataclasses.replace(answered, allowed=True).headers()
                    message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        await self.app(scope, receive, charge_on_answer)

    async def _charged(
        self,
        charges: list[Charge],
        scope: Scope,
        receive: Receive,
        send: Send,
        shape: Shape,
        statuses: list[int] | None = None,
    ) -> None:
        """Charge the request and run it with the verdict's headers, or refuse it; the status
        it was answered with, if run, is added to ``statuses``."""
        try:
            verdict = await self.limiter.charge(charges)
        except LimiterUnavailable:
            await _unavailable(scope, receive, send, shape)
            return
        if verdict is not None and not verdict.allowed:
            await _refuse(scope, receive, send, verdict, shape)
            return
        await self.app(scope, receive, _answering(send, verdict, statuses))


def _add(charges: list[Charge], item: RateLimitItem | None, key: str) -> None:
    if item is not None:
        charges.append((item, key))


def _form_client(body: bytes) -> str | None:
    try:
        fields = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        return None
    for name, value in fields:
        if name == "client_id" and value:
            return value[:128]
    return None


async def _buffer_body(receive: Receive) -> tuple[bytes, Receive]:
    """Read the body up to the form limit, and a ``receive`` that replays it to the endpoint
    (which enforces the limit itself)."""
    messages: list[Message] = []
    size = 0
    while size <= MAX_FORM_BYTES:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")

    async def replay() -> Message:
        if messages:
            return messages.pop(0)
        return await receive()

    return body, replay


def _answering(send: Send, verdict: Verdict | None, statuses: list[int] | None) -> Send:
    """``send`` with the verdict's headers added to the response, noting its status."""
    if verdict is None and statuses is None:
        return send

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            if statuses is not None:
                statuses.append(message["status"])
            if verdict is not None:
                headers = [*message.get("headers", []), *verdict.headers()]
                message = {**message, "headers": headers}
        await send(message)

    return wrapped


async def _refuse(
    scope: Scope, receive: Receive, send: Send, verdict: Verdict, shape: Shape
) -> None:
    message = f"rate limit exceeded: {verdict.limit} requests per window; retry in {verdict.reset}s"
    headers = {name.decode(): value.decode() for name, value in verdict.headers()}
    await error_response(RateLimited(message), shape, headers=headers)(scope, receive, send)


async def _unavailable(scope: Scope, receive: Receive, send: Send, shape: Shape) -> None:
    """A store the limits need (the budgets', or the database that tells a token's app) cannot
    answer and they fail closed: the one outage answer, in the endpoint's own shape."""
    await error_response(ServiceUnavailable(), shape)(scope, receive, send)
