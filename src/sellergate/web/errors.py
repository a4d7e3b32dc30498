"""Errors become responses here, and only here: one catalogue (:mod:`sellergate.errors`), three
shapes.

- **JSON** for OAuth clients (RFC 6749 §5.2) and every other JSON endpoint (secure links, leak
  reports, the gateway, health): ``{"error": code, "error_description": description}``.
- **GraphQL** for ``/seller-api/graphql``: ``{"errors": [{"message": description,
  "extensions": {"code": api_code}}]}``.
- **Page** for people: the message page, with a title and text for people.

Every error answer is ``Cache-Control: no-store``; a 503 carries ``Retry-After``. Nothing
internal (exception text, SQL, stacks) leaves through here: a database fault is a 503, a bug a
500 with a reference whose details are in the log.
"""

from __future__ import annotations

import enum
import logging
import secrets
import time
from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sellergate.errors import (
    BadRequest,
    InsufficientScope,
    InternalError,
    InvalidToken,
    NotFound,
    SellergateError,
    ServiceUnavailable,
)
from sellergate.oauth.metadata import AUTHORIZE_PATH, INTROSPECT_PATH, REVOKE_PATH, TOKEN_PATH
from sellergate.storage.faults import is_fault, is_nul_in_text
from sellergate.storage.redisstore import is_redis_fault
from sellergate.web.templates import page

log = logging.getLogger("sellergate.web")

# How long a client should wait before retrying while a store cannot answer.
RETRY_AFTER_SECONDS = 5


class Shape(enum.Enum):
    JSON = "json"
    GRAPHQL = "graphql"
    PAGE = "page"


_OAUTH_PATHS = (TOKEN_PATH, REVOKE_PATH, INTROSPECT_PATH)
_JSON_PATHS = ("/seller-api/", "/.well-known/", "/healthz", "/readyz", "/metrics", "/gateway/")

# What a person is told, by status, when the caller gives no title of its own.
_PAGE_TEXT = {
    400: ("That request was not valid", None),
    404: ("Not found", None),
    500: ("Something went wrong on our side", None),
    503: (
        "sellergate is briefly unavailable",
        "Nothing was changed. Please try again in a few seconds.",
    ),
}


def shape_of(path: str) -> Shape:
    """Who is asking, by path: an API client in JSON or GraphQL, or a person."""
    if path.startswith("/seller-api/graphql"):
        return Shape.GRAPHQL
    if path in _OAUTH_PATHS or (path.startswith(_JSON_PATHS) and path != AUTHORIZE_PATH):
        return Shape.JSON  # the authorization endpoint is a person's page
    return Shape.PAGE


def error_body(error: SellergateError, shape: Shape) -> dict[str, Any]:
    """The body of ``error`` in a JSON or GraphQL shape."""
    if shape is Shape.GRAPHQL:
        extensions: dict[str, Any] = {"code": error.api_code}
        if isinstance(error, InternalError):
            extensions["errorId"] = error.error_id
        return {"errors": [{"message": error.description, "extensions": extensions}]}
    body: dict[str, Any] = {"error": error.code, "error_description": error.description}
    if isinstance(error, InsufficientScope):
        body["scope"] = error.scope
    return body


def error_response(
    error: SellergateError,
    shape: Shape,
    *,
    request: Request | None = None,
    headers: Mapping[str, str] | None = None,
    title: str | None = None,
    message: str | None = None,
    status: int | None = None,
    link: tuple[str, str] | None = None,
) -> Response:
    """The answer to ``error`` in ``shape``; a page needs the ``request`` and may be given a
    ``title`` and a ``message`` for people (the description otherwise). ``status`` overrides
    the error's own where a protocol says so (a DPoP proof is a 400 at the token endpoint);
    ``link`` is a page's way on, ``(url, text)``."""
    status = status or error.status
    extra = {"Cache-Control": "no-store"}
    if status == 503:
        extra["Retry-After"] = str(RETRY_AFTER_SECONDS)
    extra.update(headers or {})
    if shape is Shape.PAGE and request is not None:
        default_title, default_message = _PAGE_TEXT.get(status, ("That did not work", None))
        response = page(
            request,
            "message.html",
            status,
            title=title or default_title,
            message=message or default_message or error.description,
            **({"link": link[0], "link_text": link[1]} if link else {}),
        )
        response.headers.update(extra)
        return response
    return JSONResponse(error_body(error, shape), status_code=status, headers=extra)


def quoted(text: str) -> str:
    """``text`` as an RFC 9110 §5.6.4 quoted-string (an auth-param's value)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def bearer_challenge(error: InvalidToken | InsufficientScope) -> str:
    """RFC 6750 §3: the ``WWW-Authenticate`` value that says what is wrong."""
    challenge = (
        f'Bearer realm="sellergate", error="{error.code}", '
        f'error_description="{quoted(error.description)}"'
    )
    if isinstance(error, InsufficientScope):
        challenge += f', scope="{error.scope}"'
    return challenge


def invalid_token_response(error: InvalidToken, shape: Shape = Shape.GRAPHQL) -> Response:
    """RFC 6750 §3: 401 with a ``WWW-Authenticate`` challenge that says what is wrong."""
    return error_response(error, shape, headers={"WWW-Authenticate": bearer_challenge(error)})


def unavailable_response(request: Request) -> Response:
    """503 for a store that cannot answer: safe text, ``Retry-After``, nothing internal."""
    return error_response(ServiceUnavailable(), shape_of(request.url.path), request=request)


def bad_input_response(request: Request, message: str) -> Response:
    """400 for input that reached the database before anything refused it."""
    return error_response(BadRequest(message), shape_of(request.url.path), request=request)


def expired_form_response(
    request: Request, message: str, link: tuple[str, str] | None = None
) -> Response:
    """400 for a form whose CSRF token is missing, stale or not its session's."""
    return error_response(
        BadRequest("the form expired or was not sent from this site"),
        Shape.PAGE,
        request=request,
        title="This page expired",
        message=message,
        link=link,
    )


async def http_exception_response(request: Request, exc: Exception) -> Response:
    """The router's own refusals (no route for the path, not its method), in the shape of the
    path they were asked at, like every other error."""
    assert isinstance(exc, HTTPException)
    error: SellergateError
    if exc.status_code == 404:
        error = NotFound("nothing is served at this path")
    elif exc.status_code == 405:
        error = BadRequest(f"this path does not take {request.method} requests", status=405)
    else:
        error = BadRequest(str(exc.detail), status=exc.status_code)
    return error_response(error, shape_of(request.url.path), request=request, headers=exc.headers)


# For Starlette's ``exception_handlers``.
HTTP_EXCEPTIONS = {HTTPException: http_exception_response}


def new_error_id() -> str:
    return secrets.token_hex(6)


def log_internal_error(error_id: str, error: BaseException, where: str) -> None:
    """The one log record of an unexpected error: its reference, the exception and the stack.
    ``where`` is the path's first segment, never the path (secure-link paths are secrets)."""
    log.error("internal error %s in %s", error_id, where, exc_info=error)


def internal_error_response(request: Request, error_id: str) -> Response:
    """500 for a bug: a generic message and the reference that finds it in the log."""
    return error_response(
        InternalError(error_id),
        shape_of(request.url.path),
        request=request,
        message=f"Nothing was changed. If it happens again, quote reference {error_id}.",
    )


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
