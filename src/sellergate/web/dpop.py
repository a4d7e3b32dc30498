"""DPoP (RFC 9449) at the HTTP edge: reading the ``DPoP`` header, remembering accepted proofs,
and the answers that refuse one.

The protocol checks are :mod:`sellergate.oauth.dpop`'s; this module adds what needs the
request, the settings and shared storage: the public URL a proof must name (``htu``), the
server nonces when ``SELLERGATE_DPOP_NONCE`` is on, and the replay cache shared by every node.
"""

from __future__ import annotations

import logging
import time

import redis
from starlette.datastructures import Headers
from starlette.responses import Response

from sellergate.accounts.bearer import AuthContext
from sellergate.accounts.dpop_proofs import make_replay_cache
from sellergate.config import Settings
from sellergate.errors import InvalidDPoPProof, InvalidToken, UseDPoPNonce
from sellergate.oauth.dpop import (
    ALGORITHMS,
    NONCE_HEADER,
    Proof,
    remember,
    single_proof,
    verify_proof,
)
from sellergate.oauth.dpop_nonce import NonceSource
from sellergate.storage.database import Database
from sellergate.web.errors import Shape, error_response, quoted

ALGS = " ".join(ALGORITHMS)
log = logging.getLogger("sellergate.web")


class ReplayCheckUnavailable(InvalidDPoPProof):
    """Redis, where proofs are remembered, cannot answer: a proof is never accepted unchecked
    (fail closed); the caller gets a 503 to retry, not a refusal of its proof."""

    code = "temporarily_unavailable"
    api_code = "SERVICE_UNAVAILABLE"
    status = 503


class DPoPChecker:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.public_url = settings.public_url
        self.nonces = NonceSource(settings.session_secret.encode()) if settings.dpop_nonce else None
        self.replays = make_replay_cache(settings, db)

    def verify(
        self, headers: Headers, method: str, url: str, access_token: str | None = None
    ) -> Proof | None:
        """The request's proof checked offline (CPU only), or None if it sent none."""
        value = single_proof(headers.getlist("dpop"))
        if value is None:
            return None
        return verify_proof(
            value,
            method=method,
            url=url,
            now=time.time(),
            access_token=access_token,
            nonces=self.nonces,
        )

    def remember(self, proof: Proof) -> None:
        """Spend the proof's ``jti`` (blocking I/O: database or Redis)."""
        try:
            remember(proof, self.replays)
        except redis.RedisError as exc:
            log.warning("dpop replay cache unavailable: %s", type(exc).__name__)
            raise ReplayCheckUnavailable(
                "DPoP proofs cannot be checked right now; retry shortly"
            ) from None

    def nonce_headers(self) -> dict[str, str]:
        """§8.1: the current nonce goes out with every token endpoint answer when they are on."""
        if self.nonces is None:
            return {}
        return {NONCE_HEADER: self.nonces.current(time.time())}

    def token_endpoint_error(self, error: InvalidDPoPProof) -> Response:
        """§5: a 400 in the shape of RFC 6749 §5.2; ``use_dpop_nonce`` carries the nonce."""
        headers = {"Pragma": "no-cache", **self.nonce_headers()}
        if isinstance(error, UseDPoPNonce):
            headers[NONCE_HEADER] = error.nonce
        status = None if isinstance(error, ReplayCheckUnavailable) else 400
        return error_response(error, Shape.JSON, headers=headers, status=status)

    def challenge(
        self, error: InvalidDPoPProof | InvalidToken, shape: Shape = Shape.GRAPHQL
    ) -> Response:
        """§7.1: 401 with a ``DPoP`` challenge naming the error and the algorithms accepted."""
        if isinstance(error, ReplayCheckUnavailable):
            return error_response(error, shape)
        challenge = (
            f'DPoP error="{error.code}", error_description="{quoted(error.description)}", '
            f'algs="{ALGS}"'
        )
        headers = {"WWW-Authenticate": challenge}
        if isinstance(error, UseDPoPNonce):
            headers[NONCE_HEADER] = error.nonce
        return error_response(error, shape, headers=headers)


def binding_problem(
    auth: AuthContext, dpop_scheme: bool, proof: Proof | None
) -> InvalidToken | InvalidDPoPProof | None:
    """§7.1, §7.2: a bound token only with the DPoP scheme and a proof by its key (no
    downgrade to Bearer), an unbound one only as Bearer."""
    if auth.jkt is None:
        if dpop_scheme:
            return InvalidToken("this token is not bound to a DPoP key: send it as Bearer")
        return None
    if not dpop_scheme or proof is None:
        return InvalidToken(
            "this token is bound to a DPoP key: send it as 'Authorization: DPoP <token>' "
            "with a DPoP proof"
        )
    if proof.jkt != auth.jkt:
        return InvalidDPoPProof("the DPoP proof is not by the key this token is bound to")
    return None
