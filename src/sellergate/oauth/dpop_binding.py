"""Binding tokens and codes to a DPoP key at the token endpoint (RFC 9449 §5, §10).

The proof itself is checked before the protocol core runs (:mod:`sellergate.oauth.dpop`); the
request carries what it proved (``OAuthRequest.dpop``). What is decided here, each in one
place: which key the issued tokens are bound to, given the app's mode; that an app in
``required`` mode sent a proof; that a code bound with ``dpop_jkt`` and a bound refresh token are
presented with a proof by their key.
"""

from __future__ import annotations

import enum
import re

from authlib.oauth2.rfc6749.errors import InvalidRequestError, OAuth2Error

from sellergate.oauth.dpop import Proof
from sellergate.oauth.models import OAuthClient

# RFC 7638 thumbprints with SHA-256: 43 base64url characters.
_THUMBPRINT = re.compile(r"[A-Za-z0-9_-]{43}")


class DPoPMode(enum.StrEnum):
    """Per app: ``off`` never binds (a proof sent is still checked; tokens are Bearer),
    ``optional`` binds when the request carries a proof, ``required`` refuses a token request
    without one."""

    OFF = "off"
    OPTIONAL = "optional"
    REQUIRED = "required"


class InvalidDPoPProofError(OAuth2Error):  # type: ignore[misc]
    """§5: ``invalid_dpop_proof`` at the token endpoint, a 400."""

    error = "invalid_dpop_proof"
    status_code = 400


def require_proof(client: OAuthClient, proof: Proof | None) -> None:
    """Refuse a token request of a ``required`` app that carries no proof, before anything
    (a code, a refresh token) is spent."""
    if proof is None and client.row.dpop_mode == DPoPMode.REQUIRED:
        raise InvalidDPoPProofError("this app must send a DPoP proof with every token request")


def token_binding(client: OAuthClient, proof: Proof | None) -> str | None:
    """The key thumbprint the access token is bound to (§6), or None for a Bearer token."""
    if proof is None or client.row.dpop_mode == DPoPMode.OFF:
        return None
    return proof.jkt


def refresh_binding(client: OAuthClient, access_jkt: str | None) -> str | None:
    """§5: a public app's refresh token is bound to the key of its access token; a
    confidential app's is bound by its client authentication instead."""
    return access_jkt if client.public else None


def check_key(bound: str | None, proof: Proof | None, what: str) -> None:
    """§5, §10: something bound to a key is accepted only with a proof by that key."""
    if bound is None:
        return
    if proof is None:
        raise InvalidDPoPProofError(f"{what} is bound to a DPoP key: send a proof by that key")
    if proof.jkt != bound:
        raise InvalidDPoPProofError(f"the DPoP proof is not by the key {what} is bound to")


def requested_jkt(value: str | None) -> str | None:
    """§10: the ``dpop_jkt`` authorization request parameter, checked for shape."""
    if not value:
        return None
    if not _THUMBPRINT.fullmatch(value):
        raise InvalidRequestError("dpop_jkt must be a base64url SHA-256 JWK thumbprint")
    return value
