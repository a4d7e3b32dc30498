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

Which app a token belongs to is learnt when the endpoint looks the token up (see
:class:`AppRecordingVerifier`) and remembered per process: it never changes for a token. The
first request of a token in a process is therefore charged to its app after it ran, not refused.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import json
import logging
import math
import time
from collections import OrderedDict
from urllib.parse import parse_qsl, unquote

from limits import RateLimitItem
from sqlalchemy import Connection, Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sellergate.accounts.bearer import AuthContext, BearerVerifier, LastUsedRecorder, Row
from sellergate.oauth import metadata as rfc8414
from sellergate.tokens.hashing import token_hash
from sellergate.web.addresses import Networks, scope_address
from sellergate.web.budgets import Charge, Limiter, LimiterUnavailable, Verdict
from sellergate.web.errors import RETRY_AFTER_SECONDS, UNAVAILABLE, UNAVAILABLE_CODE

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


class AppCache:
    """Which app (client row id, or none) each token hash belongs to, for this process."""

    def __init__(self, size: int = KNOWN_APPS) -> None:
        self._apps: OrderedDict[str, int | None] = OrderedDict()
        self._size = size

    def get(self, digest: str) -> tuple[bool, int | None]:
        if digest in self._apps:
            return True, self._apps[digest]
        return False, None

    def remember(self, digest: str, app: int | None) -> None:
        # A plain dict write is atomic under the GIL; lookups run in worker threads.
        self._apps[digest] = app
        if len(self._apps) > self._size:
            self._apps.popitem(last=False)


class AppRecordingVerifier(BearerVerifier):
    """The bearer check, also remembering each token's app for the limiter."""

    def __init__(
        self, engine: Engine, *, staging: bool, recorder: LastUsedRecorder, apps: AppCache
    ) -> None:
        super().__init__(engine, staging=staging, recorder=recorder)
        self.apps = apps

    def admit(self, digest: str, row: Row | None, connection: Connection | None) -> AuthContext:
        auth = super().admit(digest, row, connection)
        self.apps.remember(digest, auth.client_id)
        return auth


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


def _bearer_digest(scope: Scope) -> str | None:
    scheme, _, value = _header(scope, b"authorization").strip().partition(" ")
    # RFC 9449 §7.1: a DPoP-bound token is charged to its budget like a Bearer one.
    if scheme.lower() not in ("bearer", "dpop") or not value.strip():
        return None
    return token_hash(value.strip())


def _basic_client(scope: Scope) -> str | None:
    scheme, _, value = _header(scope, b"authorization").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id = unquote(decoded.partition(":")[0])  # RFC 6749 §2.3.1: form-urlencoded
    return client_id or None


class RateLimitMiddleware:
    """Charges API and OAuth requests to their budgets and adds the headers to the response."""

    def __init__(
        self, app: ASGIApp, limiter: Limiter, apps: AppCache, proxies: Networks = ()
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
            await self._graphql(scope, receive, send)
        elif path == GATEWAY_PATH or path.startswith(GATEWAY_PATH + "/"):
            # The gateway decision spends the same budgets as the API call it admits.
            await self._graphql(scope, receive, send, graphql=False)
        elif path in OAUTH_PATHS:
            await self._oauth(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _graphql(
        self, scope: Scope, receive: Receive, send: Send, *, graphql: bool = True
    ) -> None:
        limiter = self.limiter
        digest = _bearer_digest(scope)
        address = self._address(scope)
        charges: list[Charge] = []
        app_known = True
        if digest is None:
            _add(charges, limiter.address, "address:" + address)
        else:
            if (blocked := self.refused_addresses.verdict(address)) is not None:
                await _refuse(send, blocked, graphql=graphql)
                return
            _add(charges, limiter.token, "token:" + digest)
            app_known, app = self.apps.get(digest)
            if app is not None:
                _add(charges, limiter.app, f"app:{app}")
        status = 0

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self._charged(charges, scope, receive, noting_status, graphql=graphql)
        if digest is None:
            return
        # The request has been answered: with the store down there is nothing left to refuse.
        with contextlib.suppress(LimiterUnavailable):
            if status == 401 and limiter.address is not None:
                # Anyone can make up well-formed tokens, each with a fresh budget: unknown and
                # dead ones are charged to the address too, which is refused once it runs out.
                verdict = await limiter.charge([(limiter.address, "address:" + address)])
                if verdict is not None and not verdict.allowed:
                    self.refused_addresses.remember(address, verdict)
            elif not app_known:
                _, app = self.apps.get(digest)
                if app is not None and limiter.app is not None:
                    await limiter.charge([(limiter.app, f"app:{app}")])

    async def _oauth(self, scope: Scope, receive: Receive, send: Send) -> None:
        limiter = self.limiter
        client_id = _basic_client(scope)
        if client_id is None and scope["method"] == "POST":
            body, receive = await _buffer_body(receive)
            client_id = _form_client(body)
        address: list[Charge] = []
        _add(address, limiter.address, "address:" + self._address(scope))
        if client_id is None:
            await self._charged(address, scope, receive, send, graphql=False)
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
            await _unavailable(send, graphql=False)
            return
        if verdict is not None and not verdict.allowed:
            await _refuse(send, verdict, graphql=False)
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
        self, charges: list[Charge], scope: Scope, receive: Receive, send: Send, *, graphql: bool
    ) -> None:
        try:
            verdict = await self.limiter.charge(charges)
        except LimiterUnavailable:
            await _unavailable(send, graphql=graphql)
            return
        if verdict is not None and not verdict.allowed:
            await _refuse(send, verdict, graphql=graphql)
            return
        await self.app(scope, receive, _with_headers(send, verdict))


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


def _with_headers(send: Send, verdict: Verdict | None) -> Send:
    if verdict is None:
        return send

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *verdict.headers()]}
        await send(message)

    return wrapped


async def _respond(
    send: Send, status: int, body: dict[str, object], headers: list[tuple[bytes, bytes]]
) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"cache-control", b"no-store"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def _refuse(send: Send, verdict: Verdict, *, graphql: bool) -> None:
    message = f"rate limit exceeded: {verdict.limit} requests per window; retry in {verdict.reset}s"
    body: dict[str, object]
    if graphql:
        body = {"errors": [{"message": message, "extensions": {"code": "RATE_LIMITED"}}]}
    else:
        # RFC 6749 §5.2 has no error code for this; clients key on the 429 and Retry-After.
        body = {"error": "rate_limited", "error_description": message}
    await _respond(send, 429, body, verdict.headers())


async def _unavailable(send: Send, *, graphql: bool) -> None:
    """The store of the budgets cannot answer and they fail closed: the outage answer of
    :mod:`sellergate.web.errors`, in the endpoint's own shape."""
    body: dict[str, object]
    if graphql:
        body = {"errors": [{"message": UNAVAILABLE, "extensions": {"code": UNAVAILABLE_CODE}}]}
    else:
        body = {"error": "temporarily_unavailable", "error_description": UNAVAILABLE}
    await _respond(send, 503, body, [(b"retry-after", str(RETRY_AFTER_SECONDS).encode())])
