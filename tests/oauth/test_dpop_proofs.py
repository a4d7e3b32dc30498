"""The DPoP proof check itself (RFC 9449 §4.3), without a server: what is accepted and what is
refused before and after the signature."""

from __future__ import annotations

import base64
import json
import time

import pytest
from joserfc import jws
from joserfc.jwk import OctKey

from dpopkeys import DPoPKey
from sellergate.errors import InvalidDPoPProof, UseDPoPNonce
from sellergate.oauth.dpop import MAX_PROOF, Proof, remember, verify_proof
from sellergate.oauth.dpop_nonce import NonceSource

URL = "https://api.example.com/seller-api/graphql"


def check(proof: str, **kwargs: object) -> Proof:
    options: dict[str, object] = {"method": "POST", "url": URL, "now": time.time()}
    options.update(kwargs)
    return verify_proof(proof, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "PS256", "RS256", "ES384"])
def test_accepted_algorithms(alg: str) -> None:
    key = DPoPKey(alg)
    assert check(key.proof("POST", URL)).jkt == key.jkt


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_alg_none_is_refused() -> None:
    key = DPoPKey()
    header: dict[str, object] = {
        "typ": "dpop+jwt",
        "alg": "none",
        "jwk": key.key.as_dict(private=False),
    }
    claims: dict[str, object] = {"jti": "a", "htm": "POST", "htu": URL, "iat": int(time.time())}
    with pytest.raises(InvalidDPoPProof, match="alg must be one of"):
        check(f"{_b64(header)}.{_b64(claims)}.")


def test_symmetric_alg_is_refused() -> None:
    secret = OctKey.generate_key(256)
    header = {"typ": "dpop+jwt", "alg": "HS256", "jwk": secret.as_dict()}
    claims = json.dumps({"jti": "a", "htm": "POST", "htu": URL, "iat": int(time.time())})
    proof = jws.serialize_compact(header, claims.encode(), secret, algorithms=["HS256"])
    with pytest.raises(InvalidDPoPProof, match="alg must be one of"):
        check(proof)


def test_private_key_in_header_is_refused() -> None:
    key = DPoPKey()
    proof = key.proof("POST", URL, header={"jwk": key.key.as_dict(private=True)})
    with pytest.raises(InvalidDPoPProof, match="private key"):
        check(proof)


def test_oversized_and_malformed_proofs_are_refused() -> None:
    with pytest.raises(InvalidDPoPProof, match="longer than"):
        check("a" * (MAX_PROOF + 1))
    for junk in ("", "a.b", "a.b.c", "!!!.b.c", _b64({"x": 1})[:-1] + ".b.c"):
        with pytest.raises(InvalidDPoPProof):
            check(junk)


def test_wrong_typ_signature_and_claims_are_refused() -> None:
    key = DPoPKey()
    with pytest.raises(InvalidDPoPProof, match="typ"):
        check(key.proof("POST", URL, header={"typ": "JWT"}))
    other = DPoPKey()
    forged = key.proof("POST", URL, header={"jwk": other.key.as_dict(private=False)})
    with pytest.raises(InvalidDPoPProof, match="signature"):
        check(forged)
    with pytest.raises(InvalidDPoPProof, match="jti"):
        check(key.proof("POST", URL, jti=None))
    with pytest.raises(InvalidDPoPProof, match="iat"):
        check(key.proof("POST", URL, iat="now"))


def test_htu_compares_scheme_host_port_and_path_only() -> None:
    key = DPoPKey()
    check(key.proof("POST", "HTTPS://API.example.com:443/seller-api/graphql#x"))
    for other in (
        "http://api.example.com/seller-api/graphql",
        "https://api.example.com:8443/seller-api/graphql",
        "https://evil.example.com/seller-api/graphql",
        "https://api.example.com/seller-api/graphql/",
    ):
        with pytest.raises(InvalidDPoPProof, match="htu"):
            check(key.proof("POST", other))


class Memory:
    def __init__(self) -> None:
        self.seen: set[str] = set()

    def first_use(self, key: str, seconds: int) -> bool:
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


def test_a_proof_is_remembered_once() -> None:
    proof = check(DPoPKey().proof("POST", URL))
    cache = Memory()
    remember(proof, cache)
    with pytest.raises(InvalidDPoPProof, match="already used"):
        remember(proof, cache)


def test_nonces_rotate_and_every_node_accepts_them() -> None:
    node_a, node_b = NonceSource(b"shared key"), NonceSource(b"shared key")
    now = 1_000_000.0
    nonce = node_a.current(now)
    assert node_b.valid(nonce, now)
    assert node_b.valid(nonce, now + node_b.window)  # the previous window's still works
    assert not node_b.valid(nonce, now + 2 * node_b.window)
    assert node_a.current(now + node_a.window) != nonce
    assert not NonceSource(b"another key").valid(nonce, now)
    key = DPoPKey()
    with pytest.raises(UseDPoPNonce) as refused:
        check(key.proof("POST", URL, iat=int(now)), nonces=node_a, now=now)
    assert refused.value.nonce == nonce
    check(key.proof("POST", URL, nonce=nonce, iat=int(now)), nonces=node_b, now=now)
