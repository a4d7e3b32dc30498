"""A client's DPoP key for the tests (RFC 9449 §4.2): proofs built with joserfc, any field
overridable so that the tests can build wrong ones too."""

from __future__ import annotations

import json
import secrets
import time
import warnings
from typing import Any

from joserfc import jws
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, OKPKey, RSAKey

from sellergate.oauth.dpop import access_token_hash

Key = ECKey | RSAKey | OKPKey


def new_key(alg: str = "ES256") -> Key:
    if alg.startswith("ES"):
        return ECKey.generate_key({"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}[alg])
    if alg in ("EdDSA", "Ed25519"):
        return OKPKey.generate_key("Ed25519")
    return RSAKey.generate_key(2048)


class DPoPKey:
    def __init__(self, alg: str = "ES256") -> None:
        self.alg = alg
        self.key = new_key(alg)

    @property
    def jkt(self) -> str:
        return self.key.thumbprint()

    def proof(
        self,
        method: str,
        url: str,
        token: str | None = None,
        *,
        nonce: str | None = None,
        header: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        protected: dict[str, Any] = {
            "typ": "dpop+jwt",
            "alg": self.alg,
            "jwk": self.key.as_dict(private=False),
        }
        protected.update(header or {})
        payload: dict[str, Any] = {
            "jti": secrets.token_urlsafe(16),
            "htm": method,
            "htu": url,
            "iat": int(time.time()),
        }
        if token is not None:
            payload["ath"] = access_token_hash(token)
        if nonce is not None:
            payload["nonce"] = nonce
        payload.update(claims)
        payload = {key: value for key, value in payload.items() if value is not None}
        body = json.dumps(payload).encode()
        with warnings.catch_warnings():
            # joserfc warns that RFC 9864 deprecates the name "EdDSA"; clients still send it.
            warnings.simplefilter("ignore", SecurityWarning)
            return jws.serialize_compact(protected, body, self.key, algorithms=[self.alg])
