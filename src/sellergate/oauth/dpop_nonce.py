"""DPoP server nonces (RFC 9449 §8, §9) that every node accepts without sharing any state.

A nonce is an HMAC-SHA-256, under the server's secret key, of the number of the time window it
was made in: every node holding the same key makes and accepts the same nonces, nothing is
stored, and they rotate by themselves. A nonce of the current or the previous window is
accepted, so one handed out just before a window ends still works for a whole window.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

WINDOW_SECONDS = 300
_LABEL = b"sellergate dpop nonce\x00"


class NonceSource:
    def __init__(self, key: bytes, window_seconds: int = WINDOW_SECONDS) -> None:
        self._key = key
        self.window = window_seconds

    def _make(self, number: int) -> str:
        mac = hmac.new(self._key, _LABEL + str(number).encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")

    def current(self, now: float) -> str:
        """The nonce to hand out now (§8.1: ``DPoP-Nonce``)."""
        return self._make(int(now // self.window))

    def valid(self, nonce: str, now: float) -> bool:
        """Whether ``nonce`` is this window's or the previous one's."""
        number = int(now // self.window)
        return any(
            hmac.compare_digest(nonce.encode("utf-8", "replace"), self._make(n).encode("ascii"))
            for n in (number, number - 1)
        )
