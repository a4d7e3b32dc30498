"""DPoP for the benchmark (RFC 9449): the client's key, proofs made ahead of the load (wrk
cannot sign; each proof is accepted once, so each request gets its own), and the cost of
checking one proof, measured in process."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

from joserfc import jws
from joserfc.jwk import ECKey

from sellergate.oauth.dpop import access_token_hash, verify_proof

# Enough proofs for a scenario at several thousand requests per second.
PROOFS_PER_SECOND = 4000


def new_key() -> ECKey:
    return ECKey.generate_key("P-256")


def proof(key: ECKey, method: str, url: str, token: str | None = None) -> str:
    claims: dict[str, object] = {
        "jti": secrets.token_urlsafe(16),
        "htm": method,
        "htu": url,
        "iat": int(time.time()),
    }
    if token is not None:
        claims["ath"] = access_token_hash(token)
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": key.as_dict(private=False)}
    return jws.serialize_compact(header, json.dumps(claims).encode(), key)


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def verification_cost_us(key: ECKey, url: str, token: str, rounds: int = 2000) -> float:
    """Microseconds of CPU to check one ES256 proof (signature, key, claims, thumbprint)."""
    made = [proof(key, "POST", url, token) for _ in range(rounds)]
    now = time.time()
    started = time.process_time()
    for value in made:
        verify_proof(value, method="POST", url=url, now=now, access_token=token)
    return (time.process_time() - started) / rounds * 1e6
