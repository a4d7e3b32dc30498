"""``python -m bench.inprocess``: what one request costs inside the server, without HTTP.

Each scenario of ``python -m bench`` is sent many times, one after the other, straight to the
ASGI application (no socket, no uvicorn, no load generator), and the mean CPU and wall time per
request are printed. On a shared machine CPU time per request is the figure that holds between
runs; it is what a server worker can spend at most per request, so its inverse bounds the
throughput of one worker. ``--profile NAME`` prints a cProfile of one scenario instead.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.fixtures import GATEWAY_ROUTES, UNLIMITED, Seeded, seed
from bench.postgres import throwaway_postgres

ORDERS_PAGE = """{ orders(first: 50) { edges { node { id status createdAt
  total { amount currency }
  lineItems { title sku quantity unitPrice { amount currency } }
  customer { name email phone shippingAddress { city countryCode } } } }
  pageInfo { hasNextPage endCursor } } }"""
SCENARIOS = (
    "healthz",
    "graphql_me",
    "graphql_me_oauth",
    "gateway_verify",
    "introspect",
    "refresh",
    "orders_page",
)

LIMITED = ("TOKEN", "APP", "CLIENT", "ADDRESS")

Call = Callable[[], Awaitable[int]]


def _caller(app: Any, path: str, headers: dict[str, str], body: bytes) -> Call:
    raw_headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw_headers.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST" if body else "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw_headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }

    async def call() -> int:
        status = 0

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(dict(scope), receive, send)
        return status

    return call


def _calls(app: Any, seeded: Seeded, refresh_bodies: list[bytes]) -> dict[str, Call]:
    basic = base64.b64encode(f"{seeded.client_id}:{seeded.client_secret}".encode()).decode()
    form = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"}

    def graphql(token: str, query: str) -> Call:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        return _caller(app, "/seller-api/graphql", headers, json.dumps({"query": query}).encode())

    refresh_iter = iter(refresh_bodies)

    async def refresh() -> int:
        body = next(refresh_iter)
        return await _caller(app, "/seller-api/rest/oauth/token", form, body)()

    return {
        "healthz": _caller(app, "/healthz", {}, b""),
        "graphql_me": graphql(seeded.personal_token, "{ me { id username } }"),
        "graphql_me_oauth": graphql(seeded.oauth_access_token, "{ me { id username } }"),
        "introspect": _caller(
            app,
            "/seller-api/rest/oauth/introspect",
            form,
            urlencode({"token": seeded.oauth_access_token}).encode(),
        ),
        "gateway_verify": _caller(
            app,
            "/gateway/verify",
            {
                "Authorization": f"Bearer {seeded.personal_token}",
                "X-Original-Method": "GET",
                "X-Original-URI": "/v1/orders/1234/items?expand=customer",
            },
            b"",
        ),
        "refresh": refresh,
        "orders_page": graphql(seeded.personal_token, ORDERS_PAGE),
    }


async def _measure(call: Call, count: int) -> tuple[float, float]:
    for _ in range(min(50, count)):  # warm caches and the pool
        if (status := await call()) != 200:
            raise SystemExit(f"bench.inprocess: warm-up answered {status}")
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(count):
        await call()
    return (
        (time.process_time() - cpu) / count * 1e6,
        (time.perf_counter() - wall) / count * 1e6,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess", description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="requests per scenario")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL")
    parser.add_argument("--only", nargs="*", choices=SCENARIOS)
    parser.add_argument("--profile", choices=SCENARIOS, help="print a cProfile of one scenario")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    chosen = [args.profile] if args.profile else (args.only or list(SCENARIOS))

    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sg-inproc-")))
        url = stack.enter_context(throwaway_postgres()) if args.postgres else ""
        os.environ.update(
            {
                "SELLERGATE_DATA_DIR": str(workdir),
                "SELLERGATE_DATABASE_URL": url or f"sqlite:///{workdir}/bench.db",
                "SELLERGATE_LOG_LEVEL": "warning",
                # As in ``python -m bench``: the limiter's cost is measured, its budgets never hit.
                **{f"SELLERGATE_RATE_LIMIT_{name}": UNLIMITED for name in LIMITED},
                "SELLERGATE_GATEWAY_ROUTES": str(workdir / "gateway-routes.toml"),
            }
        )
        (workdir / "gateway-routes.toml").write_text(GATEWAY_ROUTES)
        from sellergate.config import load_settings
        from sellergate.storage.database import Database
        from sellergate.storage.migrate import upgrade
        from sellergate.web.app import create_app

        settings = load_settings()
        db = Database(settings)
        upgrade(db.engine)
        refresh_count = args.requests + 60 if "refresh" in chosen else 0
        seeded = seed(
            settings, db, refresh_tokens=refresh_count, orders_seller="orders_page" in chosen
        )
        bodies = [
            urlencode({"grant_type": "refresh_token", "refresh_token": t}).encode()
            for t in seeded.refresh_tokens
        ]
        app = create_app(settings, db)
        calls = _calls(app, seeded, bodies)
        results: dict[str, tuple[float, float]] = {}

        async def run() -> None:
            async with app.router.lifespan_context(app):
                for name in chosen:
                    if args.profile:
                        await _measure(calls[name], 1)
                        profiler = cProfile.Profile()
                        profiler.enable()
                        await _measure(calls[name], args.requests)
                        profiler.disable()
                        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
                        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
                    else:
                        results[name] = await _measure(calls[name], args.requests)

        asyncio.run(run())
        db.dispose()
    if args.profile:
        return
    label = "postgresql" if args.postgres else "sqlite"
    if args.json:
        print(json.dumps({name: {"cpu_us": c, "wall_us": w} for name, (c, w) in results.items()}))
        return
    print(f"{label}, {args.requests} requests per scenario, in-process (no HTTP)", file=sys.stderr)
    print(f"{'scenario':<18}{'CPU us/req':>12}{'wall us/req':>13}{'CPU-bound req/s':>17}")
    for name, (cpu, wall) in results.items():
        print(f"{name:<18}{cpu:>12.0f}{wall:>13.0f}{1e6 / cpu:>17.0f}")


if __name__ == "__main__":
    main()
