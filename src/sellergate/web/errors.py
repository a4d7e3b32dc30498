"""Translate errors into HTTP responses: catalogue errors, database faults and bugs.

Nothing internal (exception text, SQL, stacks) leaves through here: a database fault is a 503
with ``Retry-After``, a bug a 500 with a reference whose details are in the log. API and OAuth
clients get JSON in their own shape, people get a page.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sellergate.errors import InvalidToken
from sellergate.oauth.metadata import AUTHORIZE_PATH, INTROSPECT_PATH, REVOKE_PATH, TOKEN_PATH
from sellergate.storage.faults import is_fault, is_nul_in_text
from sellergate.storage.redisstore import is_redis_fault
from sellergate.web.templates import page

log = logging.getLogger("sellergate.web")


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def invalid_token_response(error: InvalidToken) -> JSONResponse:
    """RFC 6750 §3: 401 with a ``WWW-Authenticate`` challenge that says what is wrong."""
    challenge = (
        f'Bearer realm="sellergate", error="invalid_token", '
        f'error_description="{_quoted(error.description)}"'
    )
    return JSONResponse(
        {"errors": [{"message": error.description, "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": challenge, "Cache-Control": "no-store"},
    )


# How long a client should wait before retrying while the database cannot answer.
RETRY_AFTER_SECONDS = 5

_OAUTH_PATHS = (TOKEN_PATH, REVOKE_PATH, INTROSPECT_PATH)
_JSON_PATHS = (
    "/seller-api/",
    "/.well-known/",
    "/healthz",
    "/readyz",
    "/metrics",
    "/gateway/",
)

UNAVAILABLE = "the service is temporarily unavailable; retry shortly"
# The one GraphQL error code of an outage (database, Redis, the rate-limit store): docs/api.md.
UNAVAILABLE_CODE = "SERVICE_UNAVAILABLE"


def _kind(request: Request) -> str:
    """Who is asking: an OAuth client, a GraphQL client, another API client, or a person."""
    path = request.url.path
    if path in _OAUTH_PATHS:
        return "oauth"
    if path.startswith("/seller-api/graphql"):
        return "graphql"
    if path.startswith(_JSON_PATHS) and path != AUTHORIZE_PATH:  # authorization: a person
        return "json"
    return "page"


def unavailable_response(request: Request) -> Response:
    """503 for a database that cannot answer: safe text, ``Retry-After``, nothing internal."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    kind = _kind(request)
    if kind == "oauth":
        body: dict[str, Any] = {
            "error": "temporarily_unavailable",
            "error_description": UNAVAILABLE,
        }
    elif kind == "graphql":
        body = {"errors": [{"message": UNAVAILABLE, "extensions": {"code": UNAVAILABLE_CODE}}]}
    elif kind == "json":
        body = {"error": "unavailable", "message": UNAVAILABLE}
    else:
        response = page(
            request,
            "message.html",
            503,
            title="sellergate is briefly unavailable",
            message="Nothing was changed. Please try again in a few seconds.",
        )
        response.headers.update(headers)
        return response
    return JSONResponse(body, status_code=503, headers=headers)


def bad_input_response(request: Request, message: str) -> Response:
    """400 for input that reached the database before anything refused it."""
    kind = _kind(request)
    if kind == "oauth":
        body: dict[str, Any] = {"error": "invalid_request", "error_description": message}
    elif kind == "graphql":
        body = {"errors": [{"message": message, "extensions": {"code": "BAD_USER_INPUT"}}]}
    elif kind == "json":
        body = {"error": "invalid_request", "message": message}
    else:
        return page(
            request, "message.html", 400, title="That request was not valid", message=message
        )
    return JSONResponse(body, status_code=400, headers={"Cache-Control": "no-store"})


def internal_error_message(error_id: str) -> str:
    return f"internal error; quote reference {error_id} when reporting it"


def new_error_id() -> str:
    return secrets.token_hex(6)


def log_internal_error(error_id: str, error: BaseException, where: str) -> None:
    """The one log record of an unexpected error: its reference, the exception and the stack.
    ``where`` is the path's first segment, never the path (secure-link paths are secrets)."""
    log.error("internal error %s in %s", error_id, where, exc_info=error)


def internal_error_response(request: Request, error_id: str) -> Response:
    """500 for a bug: a generic message and the reference that finds it in the log."""
    message = internal_error_message(error_id)
    kind = _kind(request)
    headers = {"Cache-Control": "no-store"}
    if kind == "oauth":
        body: dict[str, Any] = {"error": "server_error", "error_description": message}
    elif kind == "graphql":
        body = {
            "errors": [
                {"message": message, "extensions": {"code": "INTERNAL", "errorId": error_id}}
            ]
        }
    elif kind == "json":
        body = {"error": "internal", "message": message}
    else:
        response = page(
            request,
            "message.html",
            500,
            title="Something went wrong on our side",
            message=f"Nothing was changed. If it happens again, quote reference {error_id}.",
        )
        response.headers.update(headers)
        return response
    return JSONResponse(body, status_code=500, headers=headers)


class _RedisOutage:
    """A warning while Redis cannot answer, at most every ``every`` seconds, not per request."""

    def __init__(self, every: float = 10.0) -> None:
        self.every = every
        self._warned_at = -every

    def seen(self, error: BaseException) -> None:
        now = time.monotonic()
        if now - self._warned_at >= self.every:
            self._warned_at = now
            log.warning("Redis unavailable (%s); answering 503", type(error).__name__)


_redis_outage = _RedisOutage()


class FaultBarrier:
    """ASGI middleware: the one place where an exception becomes a response.

    A database fault becomes a 503 (and is counted, not logged, here: the outage log of
    :mod:`sellergate.storage.faults` already has it), and so does Redis that cannot answer
    where nothing can be done without it (sessions, sign-in throttling); a NUL character that
    PostgreSQL refused a 400; anything else becomes a 500 with an error reference, logged once
    with its stack. The exception does not propagate further, so
    the server does not log it a second time.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as error:
            request = Request(scope)
            if is_fault(error):
                response = unavailable_response(request)
            elif is_redis_fault(error):
                _redis_outage.seen(error)
                response = unavailable_response(request)
            elif is_nul_in_text(error):
                response = bad_input_response(request, "the request contains a NUL character")
            else:
                error_id = new_error_id()
                log_internal_error(error_id, error, "/" + request.url.path.split("/")[1])
                response = internal_error_response(request, error_id)
            if not started:
                await response(scope, receive, send)
