"""The upstream provider's metadata and signing keys, fetched with bounded timeouts.

OpenID Connect Discovery 1.0 §4: the metadata is read from
``<issuer>/.well-known/openid-configuration`` and its ``issuer`` must equal the configured one
exactly. The keys (``jwks_uri``, RFC 7517) are cached; a token signed with a ``kid`` the cache
does not hold makes one refetch (OpenID Connect Core 1.0 §10.1.1: that is how a provider rotates
its keys), at most once per ``REFETCH_INTERVAL`` so that tokens with made-up ``kid`` values
cannot make us hammer the provider. Every method does blocking I/O: call it off the event loop.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from sellergate.config import Settings
from sellergate.errors import SigninFailed

METADATA_LIFETIME = 3600.0
REFETCH_INTERVAL = 1.0
MAX_DOCUMENT = 512 * 1024
# Signatures we accept on ID tokens and logout tokens: asymmetric only. "none" and the HMAC
# family (keyed with the client secret) are never accepted.
ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


def unavailable(what: str) -> SigninFailed:
    return SigninFailed(
        "The sign-in service is not answering. Try again in a moment.",
        code=f"provider_unavailable: {what}"[:100],
        status=503,
    )


class Provider:
    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None) -> None:
        self.issuer = settings.oidc_issuer
        self.timeout = httpx.Timeout(settings.oidc_timeout_seconds)
        self.transport = transport
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None
        self._keys_at = 0.0

    def http(self) -> httpx.Client:
        return httpx.Client(timeout=self.timeout, transport=self.transport, follow_redirects=False)

    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            with self.http() as client:
                response = client.get(url, headers={"Accept": "application/json"})
        except httpx.TimeoutException:
            raise unavailable(f"{what} timed out") from None
        except httpx.HTTPError:
            raise unavailable(f"{what} unreachable") from None
        if response.status_code != 200 or len(response.content) > MAX_DOCUMENT:
            raise unavailable(f"{what} answered {response.status_code}")
        try:
            document = response.json()
        except ValueError:
            raise unavailable(f"{what} is not JSON") from None
        if not isinstance(document, dict):
            raise unavailable(f"{what} is not a JSON object")
        return document

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata and time.monotonic() - self._metadata_at < METADATA_LIFETIME:
                return self._metadata
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = self._get_json(url, "discovery")
        if document.get("issuer") != self.issuer:
            raise unavailable("discovery names another issuer")
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(name), str):
                raise unavailable(f"discovery lacks {name}")
        with self._lock:
            self._metadata, self._metadata_at = document, time.monotonic()
        return document

    def endpoint(self, name: str) -> str:
        value = self.metadata().get(name)
        if not isinstance(value, str):
            raise unavailable(f"discovery lacks {name}")
        return value

    def algorithms(self) -> list[str]:
        advertised = self.metadata().get("id_token_signing_alg_values_supported") or ["RS256"]
        return [alg for alg in ASYMMETRIC if alg in advertised]

    def _fetch_keys(self) -> KeySet:
        document = self._get_json(self.endpoint("jwks_uri"), "jwks")
        try:
            keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
        except (JoseError, ValueError, KeyError, TypeError):
            raise unavailable("jwks is not a key set") from None
        with self._lock:
            self._keys, self._keys_at = keys, time.monotonic()
        return keys

    def keys(self, kid: str | None) -> KeySet:
        """The key set, refetched if it lacks ``kid`` (and the last fetch is not too recent)."""
        with self._lock:
            keys, fetched_at = self._keys, self._keys_at
        if keys is None:
            return self._fetch_keys()
        known = kid is None or any(key.kid == kid for key in keys.keys)
        if not known and time.monotonic() - fetched_at >= REFETCH_INTERVAL:
            return self._fetch_keys()
        return keys
