"""The error catalogue: every error the service answers, with its status and safe text.

::

    SellergateError                  base: code, api_code, description, status
    ├── OAuthError                   RFC 6749 §4.1.2.1 / §5.2, RFC 7009, RFC 7662
    │   └── InvalidGrant             a code or refresh token that is bad, expired or spent
    ├── BadRequest                   a request the server cannot read (400, 405, 413, 415)
    ├── InvalidToken                 RFC 6750 §3: 401 with WWW-Authenticate (expired, revoked, ...)
    ├── InvalidDPoPProof             RFC 9449 §7.1 / §5: a DPoP proof that is missing or wrong
    │   └── UseDPoPNonce             RFC 9449 §8, §9: retry with the server's nonce
    ├── Forbidden                    a refusal that credentials cannot change (403)
    │   └── InsufficientScope        RFC 6750 §3.1: the token lacks a scope (names them)
    ├── NotFound                     an object that does not exist or is not the caller's
    │   └── UnknownReference         ... named by an ID in the input (names the field)
    ├── Gone                         a secure link already revealed or expired (410)
    ├── InvalidInput                 bad input from the CLI or a form: names the field
    ├── BadSignature                 a signed request whose signature does not verify (401)
    ├── SigninFailed                 a sign-in through the upstream provider that cannot go on
    ├── RateLimited                  over a request budget (429)
    ├── ServiceUnavailable           a store that cannot answer: retry shortly (503)
    └── InternalError                a bug: a reference to the log, nothing else (500)

``code`` is the ``error`` member of a JSON answer (RFC 6749 §5.2 and every other JSON endpoint),
``api_code`` the GraphQL ``extensions.code``. The description is shown to the caller, so it
never holds a secret. Adapters (web, GraphQL, CLI) translate these into their own output, the
web in one place (:mod:`sellergate.web.errors`); nothing below them knows about HTTP.
"""

from __future__ import annotations


class SellergateError(Exception):
    code = "server_error"
    api_code = "INTERNAL"
    status = 500

    def __init__(
        self, description: str = "", *, code: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(description or self.code)
        self.description = description
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class OAuthError(SellergateError):
    """An OAuth 2.0 protocol error; ``code`` is the RFC 6749 ``error`` value."""

    api_code = "BAD_REQUEST"
    status = 400


class BadRequest(SellergateError):
    """A request the server cannot read: not the method, type, size or syntax it takes.
    ``invalid_request`` as RFC 6749 §5.2 names it; pass ``status`` for 405, 413, 415."""

    code = "invalid_request"
    api_code = "BAD_REQUEST"
    status = 400


class InvalidToken(SellergateError):
    """RFC 6750 §3.1 ``invalid_token``: the bearer token is missing, malformed or dead."""

    code = "invalid_token"
    api_code = "UNAUTHENTICATED"
    status = 401


class InvalidDPoPProof(SellergateError):
    """RFC 9449 ``invalid_dpop_proof``: the ``DPoP`` proof is missing, malformed, expired,
    replayed or does not match the request or the token's key. 401 at a resource (§7.1), 400 at
    the token endpoint (§5)."""

    code = "invalid_dpop_proof"
    api_code = "UNAUTHENTICATED"
    status = 401


class UseDPoPNonce(InvalidDPoPProof):
    """RFC 9449 §8, §9 ``use_dpop_nonce``: the proof must carry ``nonce``, the server's current
    one, which travels back in the ``DPoP-Nonce`` response header."""

    code = "use_dpop_nonce"

    def __init__(self, description: str, *, nonce: str) -> None:
        super().__init__(description)
        self.nonce = nonce


class Forbidden(SellergateError):
    code = "forbidden"
    api_code = "FORBIDDEN"
    status = 403


class InsufficientScope(Forbidden):
    """RFC 6750 §3.1 ``insufficient_scope``: ``scope`` names what the request needs."""

    code = "insufficient_scope"

    def __init__(self, description: str, *, scope: str) -> None:
        super().__init__(description)
        self.scope = scope


class NotFound(SellergateError):
    code = "not_found"
    api_code = "NOT_FOUND"
    status = 404


class Gone(SellergateError):
    code = "gone"
    api_code = "GONE"
    status = 410


class InvalidInput(SellergateError):
    code = "invalid_input"
    api_code = "BAD_USER_INPUT"
    status = 400

    def __init__(self, description: str, *, field: str | None = None) -> None:
        super().__init__(description)
        self.field = field


class UnknownReference(NotFound):
    """An ID in the caller's input names nothing the caller owns; ``field`` says which input."""

    def __init__(self, description: str, *, field: str) -> None:
        super().__init__(description)
        self.field = field


class InvalidGrant(OAuthError):
    """RFC 6749 §5.2: the code or refresh token is invalid, expired, revoked or spent."""

    code = "invalid_grant"


class BadSignature(SellergateError):
    """A signed request (a leak report) whose key is unknown or whose signature is wrong."""

    code = "invalid_signature"
    api_code = "UNAUTHENTICATED"
    status = 401


class SigninFailed(SellergateError):
    """A sign-in (or a back-channel logout) through the upstream OpenID Connect provider that
    cannot go on: ``code`` says why for the security log (``access_denied``, ``invalid_id_token``,
    ``provider_unavailable``, ...), ``status`` is a 4xx or 503, the description is for people."""

    code = "signin_failed"
    api_code = "BAD_REQUEST"
    status = 400

    def __init__(self, description: str, *, code: str, status: int = 400) -> None:
        super().__init__(description, code=code)
        self.status = status


class RateLimited(SellergateError):
    """Over a request budget; the answer carries ``Retry-After`` and the ``RateLimit-*`` headers.
    RFC 6749 §5.2 has no code for it: OAuth clients key on the 429."""

    code = "rate_limited"
    api_code = "RATE_LIMITED"
    status = 429


UNAVAILABLE = "the service is temporarily unavailable; retry shortly"


class ServiceUnavailable(SellergateError):
    """A store the answer needs (the database, Redis) cannot answer: nothing was changed, retry
    after ``Retry-After``. One code for every outage."""

    code = "temporarily_unavailable"
    api_code = "SERVICE_UNAVAILABLE"
    status = 503

    def __init__(self, description: str = UNAVAILABLE) -> None:
        super().__init__(description)


class InternalError(SellergateError):
    """A bug: the caller gets a reference, the log has the rest under it."""

    def __init__(self, error_id: str) -> None:
        super().__init__(f"internal error; quote reference {error_id} when reporting it")
        self.error_id = error_id
