"""A tiny OpenID provider whose every answer the test controls, for tokens no honest provider
sends: served by uvicorn on 127.0.0.1, it publishes discovery and a JWKS of its own joserfc
keys, answers ``/authorize`` at once with a code (remembering the ``nonce`` it was sent), and
answers ``/token`` with the ID token that ``forge(claims, keys)`` makes of the honest claims."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from live import free_port

CLIENT_ID = "sellergate"
CLIENT_SECRET = "forger-client-secret"


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class Forger:
    def __init__(self) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.key = RSAKey.generate_key(2048, parameters={"kid": "forger-1", "alg": "RS256"})
        self.nonces: dict[str, str] = {}
        self.sid = "upstream-session-1"
        self.subject = "zoe"
        self.forge: Callable[[dict[str, Any]], str] = self.sign
        app = Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
            ]
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the forging provider did not start"
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def sign(self, claims: dict[str, Any], key: RSAKey | None = None) -> str:
        key = key or self.key
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        values: dict[str, Any] = {
            "iss": self.issuer,
            "sub": self.subject,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "preferred_username": self.subject,
            "sid": self.sid,
        }
        values.update(overrides)
        return {key: value for key, value in values.items() if value is not None}

    def logout_token(self, **overrides: Any) -> str:
        values: dict[str, Any] = {
            "jti": secrets.token_urlsafe(8),
            "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
            "preferred_username": None,
        }
        values.update(overrides)
        return self.sign(self.claims(**values))

    async def discovery(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                # Advertised, and refused anyway: a provider's word is no reason to accept them.
                "id_token_signing_alg_values_supported": ["RS256", "HS256", "none"],
            }
        )

    async def jwks(self, request: Request) -> Response:
        return JSONResponse(KeySet([self.key]).as_dict(private=False))

    async def authorize(self, request: Request) -> Response:
        params = request.query_params
        code = secrets.token_urlsafe(16)
        self.nonces[code] = params["nonce"]
        assert params["code_challenge_method"] == "S256" and params["code_challenge"]
        query = urlencode({"code": code, "state": params["state"]})
        return RedirectResponse(f"{params['redirect_uri']}?{query}", status_code=302)

    async def token(self, request: Request) -> Response:
        form = await request.form()
        nonce = self.nonces.pop(str(form["code"]), "")
        assert form.get("code_verifier")
        id_token = self.forge(self.claims(nonce=nonce))
        return JSONResponse({"access_token": "at", "token_type": "Bearer", "id_token": id_token})
