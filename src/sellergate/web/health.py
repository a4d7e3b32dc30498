"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from sellergate.storage.database import Database
from sellergate.web.errors import RETRY_AFTER_SECONDS
from sellergate.web.metrics import Metrics
from sellergate.web.threads import in_thread


def routes(db: Database, metrics: Metrics) -> list[Route]:
    async def healthz(_: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> Response:
        """Ready only when the database can be read and written right now."""
        if await in_thread(db.check_ready):
            return JSONResponse({"status": "ready", "database": "ok"})
        return JSONResponse(
            {"status": "unavailable", "database": "unavailable"},
            503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"},
        )

    async def metrics_page(_: Request) -> Response:
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    return [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_page),
    ]
