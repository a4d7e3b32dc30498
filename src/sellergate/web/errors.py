"""Translate catalogue errors into HTTP responses."""

from __future__ import annotations

from starlette.responses import JSONResponse

from sellergate.errors import InvalidToken


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def invalid_token_response(error: InvalidToken) -> JSONResponse:
    """RFC 6750 §3: 401 with a ``WWW-Authenticate`` challenge that says what is wrong."""
    challenge = (
        f'Bearer realm="sellergate", error="invalid_token", '
        f'error_description="{_quoted(error.description)}"'
    )
    return JSONResponse(
        {"errors": [{"message": error.description, "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": challenge, "Cache-Control": "no-store"},
    )
