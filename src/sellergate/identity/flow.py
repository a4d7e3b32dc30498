"""The authorization code flow against the upstream provider, on Authlib's OAuth 2.0 client.

OpenID Connect Core 1.0 §3.1 with PKCE (RFC 7636, ``S256``). Nothing about a sign-in in
progress is kept in plaintext on the server: its PKCE verifier and nonce are HMACs of the
browser's binding cookie (256 random bits only that browser holds) over the ``state``, so they
are recomputed at the callback, and a callback replayed from another browser derives other
values. Every function does blocking I/O: call it off the event loop.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import warnings
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.integrations.base_client.errors import OAuthError

with warnings.catch_warnings():
    # Authlib asks for its "httpx2" fork; httpx itself is what this project pins and uses.
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client

from sellergate.config import Settings
from sellergate.errors import SigninFailed
from sellergate.identity.id_tokens import validate_id_token
from sellergate.identity.provider import Provider, unavailable

CALLBACK_PATH = "/login/oidc/callback"
MAX_CLAIM = 254
# The error codes a provider may send back (RFC 6749 §4.1.2.1 and §5.2, OpenID Connect Core
# 1.0 §3.1.2.6): only these are repeated in pages and the security log; anything else the
# provider (or whoever forged the return) wrote is "unknown".
KNOWN_ERRORS = frozenset(
    {
        "access_denied",
        "invalid_request",
        "unauthorized_client",
        "unsupported_response_type",
        "invalid_scope",
        "server_error",
        "temporarily_unavailable",
        "interaction_required",
        "login_required",
        "account_selection_required",
        "consent_required",
        "invalid_request_uri",
        "invalid_request_object",
        "request_not_supported",
        "request_uri_not_supported",
        "registration_not_supported",
        "invalid_client",
        "invalid_grant",
        "unsupported_grant_type",
    }
)


def known_error(value: object) -> str:
    return value if isinstance(value, str) and value in KNOWN_ERRORS else "unknown"


@dataclass(frozen=True, slots=True)
class UpstreamSignin:
    """What a validated ID token says about who signed in."""

    subject: str
    username: str | None
    email: str | None
    sid: str | None


def _derived(browser: str, purpose: str, state: str) -> str:
    digest = hmac.new(browser.encode(), f"{purpose}:{state}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def code_verifier(browser: str, state: str) -> str:
    return _derived(browser, "pkce", state)


def nonce(browser: str, state: str) -> str:
    return _derived(browser, "nonce", state)


class CodeFlow:
    def __init__(self, settings: Settings, provider: Provider) -> None:
        self.settings = settings
        self.provider = provider
        self.redirect_uri = settings.public_url + CALLBACK_PATH

    def _client(self) -> OAuth2Client:
        return OAuth2Client(
            client_id=self.settings.oidc_client_id,
            client_secret=self.settings.oidc_client_secret,
            scope=self.settings.oidc_scopes,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            timeout=self.provider.timeout,
            transport=self.provider.transport,
        )

    def authorization_url(self, browser: str, state: str) -> str:
        """Where to send the browser (§3.1.2.1); raises when the provider cannot be reached."""
        endpoint = self.provider.endpoint("authorization_endpoint")
        with self._client() as client:
            url, _ = client.create_authorization_url(
                endpoint,
                state=state,
                nonce=nonce(browser, state),
                code_verifier=code_verifier(browser, state),
            )
        return str(url)

    def finish(self, browser: str, state: str, code: str) -> UpstreamSignin:
        """Exchange ``code`` (§3.1.3) and validate the ID token it brings (§3.1.3.7)."""
        endpoint = self.provider.endpoint("token_endpoint")
        try:
            with self._client() as client:
                token: dict[str, Any] = client.fetch_token(
                    endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier(browser, state),
                )
        except httpx.TimeoutException:
            raise unavailable("token endpoint timed out") from None
        except httpx.HTTPError:
            raise unavailable("token endpoint unreachable") from None
        except OAuthError as exc:
            raise SigninFailed(
                "The sign-in service refused to finish this sign-in. Please start again.",
                code=f"token_error: {known_error(exc.error)}",
                status=400,
            ) from None
        except (ValueError, TypeError, KeyError):
            raise unavailable("token endpoint answered no token") from None
        raw = token.get("id_token")
        if not isinstance(raw, str):
            raise SigninFailed(
                "The sign-in service sent no ID token.", code="invalid_id_token: missing"
            )
        claims = validate_id_token(
            raw, self.provider, self.settings.oidc_client_id, nonce(browser, state)
        )
        return UpstreamSignin(
            subject=claims["sub"],
            username=_text(claims.get(self.settings.oidc_username_claim)),
            email=_text(claims.get("email")),
            sid=_text(claims.get("sid")),
        )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= MAX_CLAIM else None
