"""Authlib's model interfaces (RFC 6749 §2, §4.1, §6) over our rows."""

from __future__ import annotations

from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin
from authlib.oauth2.rfc6749.errors import InvalidScopeError

from sellergate.oauth.records import ClaimedCode, ClaimedRefreshToken, ClientRecord, is_loopback
from sellergate.scopes import ScopeError, format_scopes, parse_scopes
from sellergate.tokens.hashing import same_hash

CONFIDENTIAL_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
GRANT_TYPES = ("authorization_code", "refresh_token")


def _loopback_match(registered: str, requested: str) -> bool:
    """RFC 8252 §7.3: a loopback redirect URI of a native app matches on any port."""
    try:
        want, got = urlsplit(registered), urlsplit(requested)
        got.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return (
        want.scheme == got.scheme == "http"
        and is_loopback(want.hostname)
        and want.hostname == got.hostname
        and (want.path, want.query, want.fragment) == (got.path, got.query, got.fragment)
        and not got.username
        and not got.password
    )


class OAuthClient(ClientMixin):  # type: ignore[misc]
    def __init__(self, record: ClientRecord) -> None:
        self.row = record
        self.redirect_uris = record.redirect_uris
        self.allowed = parse_scopes(record.scopes)

    @property
    def pk(self) -> int:
        return self.row.pk

    @property
    def name(self) -> str:
        return self.row.name

    @property
    def public(self) -> bool:
        return self.row.public

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if len(self.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        """RFC 6749 §3.3: the maximum when left out; anything beyond it is ``invalid_scope``."""
        if not scope:
            return self.row.scopes
        try:
            requested = parse_scopes(scope)
        except ScopeError as exc:
            raise InvalidScopeError(str(exc).replace('"', "'")) from None
        beyond = requested - self.allowed
        if beyond:
            raise InvalidScopeError(
                f"this app may not ask for {format_scopes(beyond)}; "
                f"its scopes are {self.row.scopes}"
            )
        if not requested:
            raise InvalidScopeError("the scope parameter is empty")
        return format_scopes(requested)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        if redirect_uri in self.redirect_uris:
            return True
        return self.public and any(_loopback_match(u, redirect_uri) for u in self.redirect_uris)

    def check_client_secret(self, client_secret: str) -> bool:
        stored = self.row.secret_hash
        return not self.public and stored is not None and same_hash(client_secret, stored)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.public:
            return method == "none" and endpoint != "introspection"
        return method in CONFIDENTIAL_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES


class CodeRecord(AuthorizationCodeMixin):  # type: ignore[misc]
    """A code already claimed (spent) by this request."""

    def __init__(self, claimed: ClaimedCode) -> None:
        self.claimed = claimed
        self.code_challenge = claimed.code_challenge
        self.code_challenge_method = claimed.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.claimed.redirect_uri

    def get_scope(self) -> str:
        return self.claimed.scopes


class RefreshRecord(TokenMixin):  # type: ignore[misc]
    """A refresh token already claimed (spent) by this request, for this client."""

    def __init__(self, claimed: ClaimedRefreshToken) -> None:
        self.claimed = claimed

    def check_client(self, client: OAuthClient) -> bool:
        return True

    def get_scope(self) -> str:
        return self.claimed.scopes
