"""The fuzzing suite's route table, and the app's routes to compare it with.

Every route the app serves must be listed in :data:`FUZZED` (its path as Starlette spells it,
with its parameters' convertors, and its methods): the fuzz tests draw their requests from
this table, and ``test_coverage.py`` fails when the app has a route the table lacks. Adding a
route to the app is therefore one more line here. The parameter's convertor chooses what the
fuzzer puts in it: ``{name:row_id}`` gets integers past 64 bits, negative, with leading zeros
and in Unicode digits; any other parameter gets hostile text (control characters,
percent-encoded lone surrogates and bytes that are not UTF-8, long runs).
"""

from __future__ import annotations

import tempfile
from typing import Any

from starlette.routing import Host, Mount, Route, WebSocketRoute

from sellergate.config import load_settings
from sellergate.web.app import create_app

ALL = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"})

# path template -> methods it answers. One line per route.
FUZZED: dict[str, frozenset[str]] = {
    "/seller-api/graphql": frozenset({"GET", "HEAD", "POST"}),
    "/healthz": frozenset({"GET", "HEAD"}),
    "/readyz": frozenset({"GET", "HEAD"}),
    "/metrics": frozenset({"GET", "HEAD"}),
    "/secure-links/{link}": frozenset({"GET", "HEAD"}),
    "/secure-links/{link}/reveal": frozenset({"POST"}),
    "/.well-known/oauth-authorization-server": frozenset({"GET", "HEAD"}),
    "/seller-api/rest/oauth/token": ALL,
    "/seller-api/rest/oauth/revoke": ALL,
    "/seller-api/rest/oauth/introspect": ALL,
    "/seller-api/rest/oauth/authorize": frozenset({"GET", "HEAD"}),
    "/secret-scanning/report": frozenset({"POST"}),
    "/login": frozenset({"GET", "HEAD", "POST"}),
    "/logout": frozenset({"POST"}),
    "/oauth/consent": frozenset({"GET", "HEAD", "POST"}),
    "/dashboard": frozenset({"GET", "HEAD"}),
    "/dashboard/tokens": frozenset({"POST"}),
    "/dashboard/tokens/{token_id:row_id}/rotate": frozenset({"POST"}),
    "/dashboard/tokens/{token_id:row_id}/revoke": frozenset({"POST"}),
    "/dashboard/apps/{client_id}/disconnect": frozenset({"POST"}),
    "/dashboard/sessions": frozenset({"GET", "HEAD"}),
    "/dashboard/sessions/end-others": frozenset({"POST"}),
    "/dashboard/security": frozenset({"GET", "HEAD"}),
    "/seller-api/rest/oauth/par": ALL,
    "/gateway/verify": frozenset({"GET"}),
    "/gateway/verify/{original:path}": frozenset({"GET"}),
    "/login/oidc": frozenset({"GET", "HEAD"}),
    "/login/oidc/callback": frozenset({"GET", "HEAD"}),
    "/login/oidc/backchannel-logout": frozenset({"POST"}),
}

# Served by Starlette's file handler, not by the application's code.
NOT_HANDLERS = frozenset({"/static"})


def app_routes(app: Any | None = None) -> dict[str, frozenset[str]]:
    """Every route of the app (mounted sub-applications included) with its methods. A mount
    whose application lists no routes (a plain ASGI app) is one route: its path, any method."""
    if app is None:
        scratch = tempfile.mkdtemp(prefix="sellergate-routes-")
        app = create_app(load_settings(database_url=f"sqlite:///{scratch}/routes.db"))
    found: dict[str, frozenset[str]] = {}

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            if isinstance(route, Route):
                path = prefix + route.path
                found[path] = found.get(path, frozenset()) | frozenset(route.methods or {"GET"})
            elif isinstance(route, WebSocketRoute):
                found[prefix + route.path] = frozenset({"GET"})
            elif isinstance(route, Mount | Host):
                path = prefix + (route.path if isinstance(route, Mount) else "")
                if path in NOT_HANDLERS:
                    continue
                inner = getattr(route.app, "routes", None)
                if inner is None:
                    found[path + "/{path:path}"] = ALL
                else:
                    walk(list(inner), path)

    walk(list(app.routes), "")
    return found
