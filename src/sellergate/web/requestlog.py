"""Request ids, the access log and the request metrics, from one pure ASGI middleware (the
outermost one: one layer, that reads the clock and notes the status once for all three).

Each request gets an id: the caller's ``X-Request-ID`` when it is a short, plain value (a load
balancer's, so that its log and ours join), or a new one. It is returned in ``X-Request-ID``
and set in :data:`sellergate.logs.REQUEST_ID`, so every record logged while serving the request
carries it. The access log is one structured record per request: the path without its query
string, and with secure links redacted.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sellergate.logs import ACCESS_LOGGER, REQUEST_ID, AccessRecord, redact
from sellergate.web.addresses import Networks, scope_address
from sellergate.web.metrics import Metrics

access_log = logging.getLogger(ACCESS_LOGGER)

_ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class _RequestIds:
    """New request ids: a random prefix per process and a counter, so a request costs no
    system call (``secrets.token_hex`` reads ``os.urandom`` each time). Unique across the
    workers and nodes of a deployment, and never a secret: a request id only joins log lines.
    A forked child draws a prefix of its own."""

    def __init__(self) -> None:
        self._reseed()
        os.register_at_fork(after_in_child=self._reseed)

    def _reseed(self) -> None:
        self._prefix = secrets.token_hex(5)
        self._counter = itertools.count(1)

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._counter):x}"


new_request_id = _RequestIds()


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text = str(value.decode("latin-1"))
            if _ACCEPTED.fullmatch(text):
                return text
            break
    return new_request_id()


class RequestLogMiddleware:
    def __init__(
        self, app: ASGIApp, enabled: bool, proxies: Networks = (), metrics: Metrics | None = None
    ) -> None:
        self.app = app
        self.enabled = enabled
        self.proxies = proxies
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        reset = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            if self.metrics is not None:
                self.metrics.request_done(scope["path"], status, seconds)
            if self.enabled and access_log.isEnabledFor(logging.INFO):
                # Redacted here already, not only by the formatter: any handler may see it.
                access_log.handle(
                    AccessRecord(
                        scope["method"],
                        redact(scope["path"]),
                        status,
                        round(seconds * 1000, 2),
                        scope_address(scope, self.proxies),
                    )
                )
            REQUEST_ID.reset(reset)
