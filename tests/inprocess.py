"""The app served in this process, without a socket: what most tests talk to.

:class:`InProcessServer` runs the app as a server would (its lifespan, so the background jobs,
started and stopped) on an event loop of its own in a thread, and hands out ordinary
``httpx.Client`` objects (:meth:`InProcessServer.client`) whose transport sends each request to
that loop through httpx's ASGI transport. Requests from several threads at once are answered
concurrently, on one loop and its worker threads, as by one uvicorn worker.

What differs from a socket: no header validation on the way in (the app sees what a raw client
could send, such as a header value ending in a space), the peer is always ``127.0.0.1``, and an
exception the app lets escape is answered as the server would (``500``), not raised in the
test. Tests that need a real socket (a browser, another process, a client library of its own)
use :class:`live.LiveServer` instead; both have ``url``, ``app``, ``client()`` and ``stop()``.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack
from typing import Any, TypeVar

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

BASE_URL = "http://127.0.0.1:8000"

T = TypeVar("T")
# One request, sent by the client it is given.
Send = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


def on_own_loop(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``main()`` on an event loop of its own, in a thread (Playwright may hold one here)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, main()).result(timeout=60)


def together(app: Any, sends: Iterable[Send]) -> list[httpx.Response]:
    """Requests sent to ``app`` all at once, so that what it batches (web.lookups) can batch
    them, on an event loop of their own (:func:`on_own_loop`), without the app's lifespan.
    Their answers, in order."""

    async def main() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            return list(await asyncio.gather(*(send(http) for send in sends)))

    return on_own_loop(main)


class _PortalTransport(httpx.BaseTransport):
    """A synchronous transport that answers on the server's event loop."""

    def __init__(self, portal: BlockingPortal, asgi: httpx.ASGITransport) -> None:
        self._portal = portal
        self._asgi = asgi

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # the body as bytes, which the ASGI transport can read on the loop
        return self._portal.call(self._answer, request)

    async def _answer(self, request: httpx.Request) -> httpx.Response:
        response = await self._asgi.handle_async_request(request)
        body = await response.aread()
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=body,
            extensions=response.extensions,
        )

    def close(self) -> None:
        """A client's close leaves the server running: other clients share this transport."""


class InProcessServer:
    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.url = BASE_URL
        self._running = ExitStack()
        self._transport: _PortalTransport | None = None

    def start(self) -> None:
        try:
            portal = self._running.enter_context(start_blocking_portal())
            # Made on the loop: the manager picks its concurrency backend from the running one.
            manager = portal.call(functools.partial(LifespanManager, self.app, startup_timeout=30))
            lifespan: AbstractContextManager[LifespanManager] = portal.wrap_async_context_manager(
                manager
            )
            self._running.enter_context(lifespan)
        except BaseException:
            self._running.close()  # the loop's thread too, if the startup failed
            raise
        asgi = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        self._transport = _PortalTransport(portal, asgi)

    def stop(self) -> None:
        self._running.close()

    def client(self, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` on this server (redirects not followed, as httpx's default)."""
        assert self._transport is not None, "start() the server first"
        kwargs.setdefault("base_url", self.url)
        return httpx.Client(transport=self._transport, **kwargs)
