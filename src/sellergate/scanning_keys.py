"""``SELLERGATE_SECRET_SCANNING_KEYS``: the public keys whose signatures leak reports carry.

Parsed when the settings are read (a wrong document is a configuration error) and again when
the keys are used; see docs/leaks.md.
"""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key


def scanning_keys(value: str) -> dict[str, str]:
    """Parse ``SELLERGATE_SECRET_SCANNING_KEYS``: GitHub's public-key document, inline or a path.

    The document is ``{"public_keys": [{"key_identifier": ..., "key": PEM}, ...]}``, as GitHub
    publishes its secret-scanning keys; every key must be an ECDSA public key in PEM.
    """
    text = value.strip()
    if not text:
        return {}
    if not text.startswith("{"):
        try:
            text = Path(text).read_text()
        except OSError as exc:
            raise ValueError(f"cannot read the key file: {exc.strerror}") from None
    try:
        entries = json.loads(text)["public_keys"]
        keys = {str(entry["key_identifier"]): str(entry["key"]) for entry in entries}
    except (ValueError, KeyError, TypeError):
        raise ValueError(
            'must be {"public_keys": [{"key_identifier": ..., "key": PEM}]} or a path to it'
        ) from None
    for identifier, pem in keys.items():
        try:
            loaded = load_pem_public_key(pem.encode())
        except ValueError:
            raise ValueError(f"key {identifier!r} is not a PEM public key") from None
        if not isinstance(loaded, ec.EllipticCurvePublicKey):
            raise ValueError(f"key {identifier!r} is not an ECDSA key")
    return keys
