"""DPoP proofs (RFC 9449): checking the ``DPoP`` header of a request, free of any web framework
and of storage.

A proof is a JWS whose header carries the client's public key (§4.2); what it proves is that the
sender holds the private key, for this very request (``htm``, ``htu``), recently (``iat``), once
(``jti``, remembered by a :class:`ReplayCache`), and, at a resource, for this very access token
(``ath``, §4.3 check 11). The JOSE work (JWK parsing, signature, RFC 7638 thumbprint) is
joserfc's; what is refused before it runs (§4.3, RFC 8725 §3.1): a proof too large (bounded before
it is parsed), ``alg: none`` and symmetric algorithms, a ``jwk`` holding a private key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwa import EdDSAAlgorithm
from joserfc.jwk import ECKey, OKPKey, RSAKey, import_key
from joserfc.jws import JWSRegistry

from sellergate.errors import InvalidDPoPProof, UseDPoPNonce
from sellergate.oauth.dpop_nonce import NonceSource

HEADER = "DPoP"
NONCE_HEADER = "DPoP-Nonce"
TYP = "dpop+jwt"
# §11.1 names no algorithm; these are the asymmetric ones joserfc verifies, most common first.
ALGORITHMS = (
    "ES256",
    "EdDSA",
    "Ed25519",
    "PS256",
    "RS256",
    "ES384",
    "ES512",
    "PS384",
    "PS512",
    "RS384",
    "RS512",
)
# A proof with a 4096-bit RSA key is about 2 KB; anything far past that is not a proof.
MAX_PROOF = 4_096
MAX_HEADER = 2_048
MAX_JTI = 256
# §11.1: proofs are short-lived. Accepted from this long ago to a little in the future (clock
# skew); a replay of one is refused as long as it would otherwise be accepted.
MAX_AGE_SECONDS = 300
MAX_SKEW_SECONDS = 60
REPLAY_SECONDS = MAX_AGE_SECONDS + MAX_SKEW_SECONDS
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_KEY_TYPES = {"EC": ECKey, "RSA": RSAKey, "OKP": OKPKey}


class _EdDSA(EdDSAAlgorithm):
    """RFC 9864 deprecates the name ``EdDSA`` for ``Ed25519``, but clients send it (RFC 9449's
    own examples do): accepted for Ed25519 keys, without joserfc's warning per request."""

    security_warning = None  # type: ignore[assignment]


class _Registry(JWSRegistry):
    algorithms = {**JWSRegistry.algorithms, "EdDSA": _EdDSA()}
    max_header_length = MAX_HEADER


_REGISTRY = _Registry(algorithms=list(ALGORITHMS), strict_check_header=False)


class ReplayCache(Protocol):
    """Where proofs' ``jti`` are remembered (§11.1), shared by every worker and node."""

    def first_use(self, key: str, seconds: int) -> bool:
        """Remember ``key`` for ``seconds``; False if it is already remembered."""
        ...


@dataclass(frozen=True, slots=True)
class Proof:
    """A proof that verified: the key's RFC 7638 thumbprint and what identifies the proof."""

    jkt: str
    jti: str

    @property
    def replay_key(self) -> str:
        """What the replay cache remembers: the ``jti`` under its key, hashed (fixed size)."""
        return hashlib.sha256(f"{self.jkt}\x00{self.jti}".encode()).hexdigest()


def single_proof(values: Sequence[str]) -> str | None:
    """The request's one ``DPoP`` header, or None; §4.3 check 1: not more than one."""
    if not values:
        return None
    if len(values) > 1:
        raise InvalidDPoPProof("send exactly one DPoP header")
    return values[0]


def access_token_hash(token: str) -> str:
    """§4.2 ``ath``: base64url of the SHA-256 of the access token's ASCII."""
    digest = hashlib.sha256(token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def target_uri(url: str) -> tuple[str, str, int | None, str]:
    """§4.3 check 9: ``htu`` compared without query and fragment, scheme and host in any case,
    with the default port spelled or not (RFC 3986 §6.2.2, §6.2.3)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidDPoPProof("htu is not a URI") from None
    scheme = parts.scheme.lower()
    if port is None:
        port = {"https": 443, "http": 80}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port, parts.path or "/"


def _segments(proof: str) -> dict[str, Any]:
    """The protected header, bounded and decoded; no key is touched yet."""
    if len(proof) > MAX_PROOF:
        raise InvalidDPoPProof(f"the DPoP proof is longer than {MAX_PROOF} characters")
    encoded = proof.split(".")
    if len(encoded) != 3 or len(encoded[0]) > MAX_HEADER:
        raise InvalidDPoPProof("the DPoP proof is not a compact JWS")
    try:
        padded = encoded[0] + "=" * (-len(encoded[0]) % 4)
        header = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError):
        raise InvalidDPoPProof("the DPoP proof's header is not base64url JSON") from None
    if not isinstance(header, dict):
        raise InvalidDPoPProof("the DPoP proof's header is not a JSON object")
    return header


def _public_key(header: dict[str, Any]) -> ECKey | RSAKey | OKPKey:
    """§4.3 checks 4-7: the ``typ``, an asymmetric ``alg``, a public key that verifies."""
    if header.get("typ") != TYP:
        raise InvalidDPoPProof(f"the DPoP proof's typ must be {TYP}")
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise InvalidDPoPProof(f"the DPoP proof's alg must be one of {' '.join(ALGORITHMS)}")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict) or jwk.get("kty") not in _KEY_TYPES:
        raise InvalidDPoPProof("the DPoP proof's jwk must be an EC, RSA or OKP public key")
    if _PRIVATE_MEMBERS & jwk.keys():
        raise InvalidDPoPProof("the DPoP proof's jwk holds a private key")
    try:
        key = import_key(jwk)
    except (JoseError, ValueError, TypeError):
        raise InvalidDPoPProof("the DPoP proof's jwk is not a valid key") from None
    if not isinstance(key, ECKey | RSAKey | OKPKey) or key.is_private:
        raise InvalidDPoPProof("the DPoP proof's jwk must be a public key")
    return key


def _claims(proof: str, key: ECKey | RSAKey | OKPKey) -> dict[str, Any]:
    try:
        verified = jws.deserialize_compact(proof, key, registry=_REGISTRY)
    except (JoseError, ValueError, TypeError):
        raise InvalidDPoPProof("the DPoP proof's signature does not verify") from None
    try:
        claims = json.loads(verified.payload)
    except ValueError:
        raise InvalidDPoPProof("the DPoP proof's payload is not JSON") from None
    if not isinstance(claims, dict):
        raise InvalidDPoPProof("the DPoP proof's payload is not a JSON object")
    return claims


def verify_proof(
    proof: str,
    *,
    method: str,
    url: str,
    now: float,
    access_token: str | None = None,
    nonces: NonceSource | None = None,
) -> Proof:
    """§4.3: check one proof for the request ``method url``; raises :class:`InvalidDPoPProof`
    (or :class:`UseDPoPNonce` when ``nonces`` are on and the proof lacks the current one).

    The replay check (§4.3 check 12) is the caller's, once everything else passed: a proof
    refused here must not spend its ``jti``.
    """
    key = _public_key(_segments(proof))
    claims = _claims(proof, key)
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI:
        raise InvalidDPoPProof(f"the DPoP proof needs a jti of 1 to {MAX_JTI} characters")
    if claims.get("htm") != method:
        raise InvalidDPoPProof(f"the DPoP proof's htm must be {method}")
    htu = claims.get("htu")
    if not isinstance(htu, str) or target_uri(htu) != target_uri(url):
        raise InvalidDPoPProof("the DPoP proof's htu is not the URL of this request")
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float) or not math.isfinite(iat):
        raise InvalidDPoPProof("the DPoP proof needs iat, a number of seconds")
    if iat < now - MAX_AGE_SECONDS or iat > now + MAX_SKEW_SECONDS:
        raise InvalidDPoPProof("the DPoP proof's iat is too old or in the future")
    if nonces is not None:
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not nonces.valid(nonce, now):
            raise UseDPoPNonce(
                "the authorization server requires a nonce in the DPoP proof",
                nonce=nonces.current(now),
            )
    if access_token is not None and claims.get("ath") != access_token_hash(access_token):
        raise InvalidDPoPProof("the DPoP proof's ath does not match the access token")
    return Proof(jkt=key.thumbprint(), jti=jti)


def remember(proof: Proof, replays: ReplayCache) -> None:
    """§11.1: a proof is accepted once; a second use within its window is a replay."""
    if not replays.first_use(proof.replay_key, REPLAY_SECONDS):
        raise InvalidDPoPProof("the DPoP proof was already used")
