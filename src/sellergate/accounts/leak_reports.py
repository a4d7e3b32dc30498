"""Leak reports in the GitHub secret-scanning partner format.

A report is a JSON list of ``{"token", "type", "url", "source"}`` objects, POSTed with two
headers: ``Github-Public-Key-Identifier`` names one of the reporter's public keys and
``Github-Public-Key-Signature`` holds a base64 ECDSA (P-256, SHA-256) signature, DER-encoded,
over the raw body. The keys are configured by the platform (``SELLERGATE_SECRET_SCANNING_KEYS``);
nothing is fetched at run time. The answer is one ``{"token_raw", "token_type", "label"}`` per
token, ``label`` being ``true_positive`` for a live token of ours (now dead) and
``false_positive`` for anything else: not ours, malformed, or already revoked or expired.

A signed body is accepted once: its SHA-256 is remembered (:data:`leaks.REPLAY_MEMORY`), so a
captured report cannot be sent again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy.orm import Session

from sellergate import strictjson
from sellergate.accounts.audit import Actor
from sellergate.accounts.leaks import forget_old_reports, handle_leak, remember_report
from sellergate.config import Settings
from sellergate.errors import BadSignature, InvalidInput
from sellergate.strictjson import LoneSurrogate

MAX_TOKENS = 1000
MAX_TOKEN_LENGTH = 512


@dataclass(frozen=True, slots=True)
class ReportedToken:
    token: str
    type: str
    url: str
    source: str


class ReportVerifier:
    """Checks the signature of a report against the configured public keys."""

    def __init__(self, settings: Settings) -> None:
        self.keys: dict[str, ec.EllipticCurvePublicKey] = {}
        for identifier, pem in settings.secret_scanning_public_keys.items():
            key = load_pem_public_key(pem.encode())
            assert isinstance(key, ec.EllipticCurvePublicKey)  # checked by the settings
            self.keys[identifier] = key

    @property
    def enabled(self) -> bool:
        return bool(self.keys)

    def verify(self, key_identifier: str, signature: str, body: bytes) -> None:
        key = self.keys.get(key_identifier)
        if key is None:
            raise BadSignature("unknown public key identifier")
        try:
            der = base64.b64decode(signature, validate=True)
            key.verify(der, body, ec.ECDSA(hashes.SHA256()))
        except (binascii.Error, ValueError, InvalidSignature):
            raise BadSignature("the signature does not match the body") from None


def parse_report(body: bytes) -> list[ReportedToken]:
    try:
        items: Any = strictjson.loads(body)
    except LoneSurrogate as exc:
        raise InvalidInput(str(exc)) from None
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("the body is not JSON") from None
    if not isinstance(items, list) or not 0 < len(items) <= MAX_TOKENS:
        raise InvalidInput(f"the body must be a list of 1 to {MAX_TOKENS} reported tokens")
    reported = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("token"), str):
            raise InvalidInput('every item must be an object with a "token" string')
        fields = {name: item.get(name, "") for name in ("type", "url", "source")}
        if not all(isinstance(value, str) for value in fields.values()):
            raise InvalidInput('"type", "url" and "source" must be strings')
        if not 0 < len(item["token"]) <= MAX_TOKEN_LENGTH:
            raise InvalidInput(f"a token must be 1 to {MAX_TOKEN_LENGTH} characters")
        reported.append(ReportedToken(item["token"], **fields))
    return reported


def process_report(
    session: Session, settings: Settings, body: bytes, reported: list[ReportedToken]
) -> list[dict[str, str]]:
    """Act on a verified, parsed report in the caller's transaction; the answer to send.

    A replayed body raises :class:`InvalidInput` before anything is changed.
    """
    if not remember_report(session, hashlib.sha256(body).hexdigest()):
        raise InvalidInput("this report was received before (a replay)")
    forget_old_reports(session)
    answer = []
    for item in reported:
        result = handle_leak(
            session, settings, item.token, actor=Actor.SCANNER, url=item.url, source=item.source
        )
        answer.append(
            {
                "token_raw": item.token,
                "token_type": item.type,
                "label": "true_positive" if result.acted else "false_positive",
            }
        )
    return answer
