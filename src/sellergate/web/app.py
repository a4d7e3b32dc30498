"""The application factory: one Starlette app built from settings."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from sellergate.accounts.bearer import BearerVerifier, LastUsedRecorder
from sellergate.api.execution import Operations
from sellergate.api.schema import build_schema
from sellergate.config import Settings
from sellergate.storage.database import Database
from sellergate.web import gateway, health, oauth, secret_scanning, secure_links
from sellergate.web.budgets import Limiter
from sellergate.web.dpop import DPoPChecker
from sellergate.web.errors import HTTP_EXCEPTIONS, FaultBarrier
from sellergate.web.graphql import GraphQLEndpoint
from sellergate.web.jobs import background_jobs
from sellergate.web.lookups import BearerLookups, ClientLookups, IntrospectionLookups
from sellergate.web.metrics import Metrics
from sellergate.web.pages import create_pages_app
from sellergate.web.ratelimit import RateLimitMiddleware, TokenApps
from sellergate.web.requestlog import RequestLogMiddleware

GIL_SWITCH_SECONDS = 0.001


def create_app(settings: Settings, db: Database | None = None) -> Starlette:
    database = db or Database(settings)
    recorder = LastUsedRecorder()
    verifier = BearerVerifier(database.engine, staging=not settings.production, recorder=recorder)
    metrics = Metrics()
    operations = Operations(
        build_schema(settings),
        introspection=settings.introspection_enabled,
        max_cost=settings.graphql_max_cost,
    )
    dpop = DPoPChecker(settings, database)
    # One per process, shared by the API and the gateway, so that their lookups batch together.
    lookups = BearerLookups(
        database,
        verifier,
        coalesce=settings.coalesce_lookups,
        observe=metrics.lookup_batch.labels("bearer").observe,
    )
    graphql = GraphQLEndpoint(settings, database, verifier, operations, dpop, lookups)
    introspection = IntrospectionLookups(
        database,
        staging=not settings.production,
        coalesce=settings.coalesce_lookups,
        observe=metrics.lookup_batch.labels("introspection").observe,
    )
    clients = ClientLookups(
        database,
        coalesce=settings.coalesce_lookups,
        observe=metrics.lookup_batch.labels("client").observe,
    )

    pages = create_pages_app(settings, database)
    # The pages app answers its own exceptions before they reach the main app's barrier.
    pages.add_middleware(FaultBarrier)

    route_list: list[BaseRoute] = [
        Route("/seller-api/graphql", graphql.handle, methods=["GET", "POST"]),
        # Next: the gateway decision is as hot as the API, and routes are tried in order.
        *gateway.routes(database, verifier, settings.gateway_routes, dpop, lookups),
        *health.routes(database, metrics),
        *secure_links.routes(database),
        *oauth.routes(settings, database, dpop, introspection, clients),
        *secret_scanning.routes(settings, database),
        Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
        # Last: the session-backed pages; requests routed above never touch the session.
        Mount("", app=pages),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # What exists once started (modules, the schema, the ORM's mappings) lives as long as
        # the process: keep it out of the collector's full passes, which hold the GIL (and so
        # stall the event loop) for as long as they take; a costly query triggers them often.
        gc.freeze()
        # A worker thread running a long operation keeps the GIL for a whole switch interval
        # each time the event loop asks for it (5 ms by default, and a request asks several
        # times): 1 ms keeps other requests' latency low at a negligible cost in throughput.
        sys.setswitchinterval(GIL_SWITCH_SECONDS)

        try:
            async with background_jobs(settings, database, recorder):
                yield
        finally:
            for batched in (lookups, introspection, clients):
                await batched.aclose()
            if db is None:
                database.dispose()

    app = Starlette(
        routes=route_list,
        middleware=[
            Middleware(
                RequestLogMiddleware,
                enabled=settings.access_log,
                proxies=settings.trusted_proxy_networks,
                metrics=metrics,
            ),
            Middleware(
                RateLimitMiddleware,
                limiter=Limiter(settings),
                apps=TokenApps(database, verifier),
                proxies=settings.trusted_proxy_networks,
            ),
            # The fault barrier inside the request log (and metrics) and the limiter: each of
            # them sees the 503 or 500 it answers, with its request id.
            Middleware(FaultBarrier),
        ],
        lifespan=lifespan,
        exception_handlers=HTTP_EXCEPTIONS,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.verifier = verifier
    app.state.recorder = recorder
    app.state.graphql = graphql
    app.state.lookups = lookups
    app.state.introspection = introspection
    app.state.clients = clients
    return app
