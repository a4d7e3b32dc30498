"""An in-process HTTP client for the app: httpx over the ASGI transport, driven synchronously.

No socket and no header validation on the way in (the app sees what a raw client could send,
such as a header value ending in a space), and an exception the app lets escape is not raised
in the test but answered as the server would (``raise_app_exceptions=False``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from starlette.types import ASGIApp

BASE_URL = "http://127.0.0.1:8000"


class InProcessClient:
    def __init__(self, app: ASGIApp) -> None:
        self._runner = asyncio.Runner()
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self._client = httpx.AsyncClient(transport=transport, base_url=BASE_URL)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._runner.run(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        self._runner.run(self._client.aclose())
        self._runner.close()
