"""Validation of the provider's ID tokens and back-channel logout tokens, with joserfc.

ID tokens: OpenID Connect Core 1.0 §3.1.3.7. The signature must verify with a key of the
provider's JWKS under an asymmetric algorithm it advertises (never ``none``, never HMAC);
``iss`` equals the configured issuer; ``aud`` contains our client id, and ``azp``, when present
or when there are several audiences, is our client id; ``exp`` is in the future and ``iat`` not
(both within ``LEEWAY``), ``iat`` is recent; ``nonce`` equals the one this sign-in sent.

Logout tokens: OpenID Connect Back-Channel Logout 1.0 §2.4 and §2.6: validated like an ID
token (signature, ``iss``, ``aud``, ``iat``, ``exp`` when present), plus an ``events`` claim
holding the back-channel logout event, a ``jti``, a ``sub`` or a ``sid``, and no ``nonce``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError

from sellergate.errors import SigninFailed
from sellergate.identity.provider import ASYMMETRIC, Provider

LEEWAY = 60
MAX_AGE = 600  # an ID token or logout token issued longer ago than this is refused
MAX_TOKEN = 16 * 1024
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
NAMED_ALGORITHMS = frozenset({*ASYMMETRIC, "none", "HS256", "HS384", "HS512", "EdDSA"})


@dataclass(frozen=True, slots=True)
class LogoutRequest:
    issuer: str
    subject: str | None
    sid: str | None
    jti: str
    expires_at: int  # when a replay of this token would be refused anyway (its jti can go)


def invalid(reason: str) -> SigninFailed:
    return SigninFailed(
        "The sign-in service sent an answer that does not check out. Please try again.",
        code=f"invalid_id_token: {reason}"[:100],
        status=400,
    )


def _verified(raw: str, provider: Provider) -> dict[str, Any]:
    """The claims of ``raw`` once its signature and alg check out; no claim checked yet."""
    if not raw or len(raw) > MAX_TOKEN or raw.count(".") != 2:
        raise invalid("malformed")
    try:
        header = jws.extract_compact(raw.encode()).headers()
    except (JoseError, ValueError, TypeError):
        raise invalid("malformed header") from None
    algorithms = provider.algorithms()
    alg = header.get("alg")
    if alg not in algorithms:
        # The header is the sender's text: only a well-known name is repeated in the log.
        raise invalid(f"alg {alg if alg in NAMED_ALGORITHMS else 'unknown'} not accepted")
    kid = header.get("kid")
    keys = provider.keys(kid if isinstance(kid, str) else None)
    try:
        token = jwt.decode(raw, keys, algorithms=algorithms)
    except JoseError as exc:
        raise invalid(exc.error or "bad signature") from None
    except (ValueError, TypeError):
        raise invalid("bad signature") from None
    return dict(token.claims)


def _common(claims: dict[str, Any], issuer: str, client_id: str, now: int) -> None:
    if claims.get("iss") != issuer:
        raise invalid("wrong iss")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or client_id not in audiences:
        raise invalid("wrong aud")
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != client_id:
        raise invalid("wrong azp")
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or iat > now + LEEWAY:
        raise invalid("iat missing or in the future")
    if iat < now - MAX_AGE:
        raise invalid("iat too old")
    exp = claims.get("exp")
    if exp is not None and (not isinstance(exp, int | float) or exp <= now - LEEWAY):
        raise invalid("expired")


def validate_id_token(raw: str, provider: Provider, client_id: str, nonce: str) -> dict[str, Any]:
    """The ID token's claims, or :class:`SigninFailed` saying which check failed."""
    claims = _verified(raw, provider)
    now = int(time.time())
    if "exp" not in claims:
        raise invalid("exp missing")
    _common(claims, provider.issuer, client_id, now)
    if claims.get("nonce") != nonce:
        raise invalid("wrong nonce")
    if not isinstance(claims.get("sub"), str) or not claims["sub"] or len(claims["sub"]) > 255:
        raise invalid("sub missing")
    return claims


def validate_logout_token(raw: str, provider: Provider, client_id: str) -> LogoutRequest:
    """The logout a logout token asks for, or :class:`SigninFailed` saying what is wrong."""
    claims = _verified(raw, provider)
    now = int(time.time())
    _common(claims, provider.issuer, client_id, now)
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(LOGOUT_EVENT), dict):
        raise invalid("no back-channel logout event")
    if "nonce" in claims:
        raise invalid("logout token with a nonce")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > 255:
        raise invalid("jti missing")
    sub, sid = claims.get("sub"), claims.get("sid")
    if not isinstance(sub, str) or not sub:
        sub = None
    if not isinstance(sid, str) or not sid:
        sid = None
    if sub is None and sid is None:
        raise invalid("neither sub nor sid")
    exp = claims.get("exp")
    until = int(exp) if isinstance(exp, int | float) else int(claims["iat"]) + MAX_AGE
    return LogoutRequest(provider.issuer, sub, sid, jti, max(until, now) + LEEWAY)
