"""Hostile requests to every route: forms, headers and JSON bodies built by Hypothesis.

Whatever the request, the answer is never a 5xx, never shows internal text, and a refused
request (4xx) changes nothing in the database.
"""

from __future__ import annotations

import base64
import json
import tempfile
from typing import Any
from urllib.parse import quote, urlencode

from hypothesis import given
from hypothesis import strategies as st
from starlette.routing import Mount, Route

from fuzz.support import FUZZ, Target, check
from sellergate.config import load_settings
from sellergate.web.app import create_app

# Text as hostile as a client can send: control characters, NUL, surrogates excluded (not
# encodable), long runs.
TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
HEADER_TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=40)

PARAMS = [
    "grant_type", "code", "refresh_token", "client_id", "client_secret", "redirect_uri",
    "scope", "token", "token_type_hint", "code_verifier", "code_challenge",
    "code_challenge_method", "response_type", "state", "username", "password", "csrf_token",
    "next", "label", "expires", "expires_on", "decision", "query", "request_uri", "dpop_jkt",
]  # fmt: skip
VALUES = [
    "authorization_code", "refresh_token", "client_credentials", "read:inventory",
    "read:inventory write:inventory", "full_access", "S256", "plain", "code", "approve",
    "deny", "7", "30", "custom", "2030-01-01", "http://127.0.0.1:9/callback", "/dashboard",
    "", " ", "\x00", "%00", "\t", "9" * 30, "-1", "urn:ietf:params:oauth:request_uri:x",
]  # fmt: skip


def _routes() -> list[tuple[str, list[str]]]:
    """Every route of the app, with its methods (``/static`` aside: files, not handlers)."""
    scratch = tempfile.mkdtemp(prefix="sellergate-routes-")
    app = create_app(load_settings(database_url=f"sqlite:///{scratch}/routes.db"))
    found: list[tuple[str, list[str]]] = []

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            if isinstance(route, Route):
                found.append((prefix + route.path, sorted(route.methods or {"GET"})))
            elif isinstance(route, Mount) and route.path != "/static":
                walk(list(getattr(route.app, "routes", [])), prefix + route.path)

    walk(list(app.routes), "")
    return found


ROUTES = _routes()
# RFC 9449 proofs that parse but are not what the server takes: a JWS of a different shape,
# alg none, a header that is not JSON.
DPOP_PROOFS = [
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6Im5vbmUifQ.e30.",
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7fX0.e30.AAAA",
    "e30.e30.e30",
    "a.b.c",
    "x" * 5000,
]
SEGMENT = st.one_of(
    TEXT.map(lambda s: quote(s, safe="")),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["0", "1", "9223372036854775808", "%00", "..", "a" * 300]),
)


@st.composite
def requests(draw: st.DrawFn, target: Target) -> dict[str, Any]:
    template, methods = draw(st.sampled_from(ROUTES))
    path = template
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + draw(SEGMENT) + path[end + 1 :]
    method = draw(st.sampled_from([*methods, "GET", "POST", "PUT", "DELETE"]))
    basic = base64.b64encode(f"{target.client_id}:{target.client_secret}".encode()).decode()
    authorization = st.one_of(
        st.sampled_from(
            [f"Bearer {target.token}", f"Basic {basic}", "Basic ", "Basic", "Bearer ", "Basic\t"]
        ),
        st.binary(max_size=30).map(lambda b: "Basic " + base64.b64encode(b).decode()),
        HEADER_TEXT.map(lambda s: "Bearer " + s),
        st.just(f"DPoP {target.token}"),
        HEADER_TEXT,
    )
    headers = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "Authorization": authorization,
                "Accept": st.sampled_from(["application/json", "text/html", "*/*", ""]),
                "Cookie": HEADER_TEXT.map(lambda s: "sellergate_session=" + s),
                "X-Forwarded-For": HEADER_TEXT,
                "Origin": HEADER_TEXT,
                "DPoP": HEADER_TEXT | st.sampled_from(DPOP_PROOFS),
            },
        )
    )
    form = st.lists(
        st.tuples(st.sampled_from(PARAMS) | TEXT, st.sampled_from(VALUES) | TEXT), max_size=8
    )
    json_value = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
        max_leaves=20,
    )
    kind = draw(st.sampled_from(["none", "form", "json", "graphql", "bytes"]))
    content: bytes | None = None
    content_type = None
    if kind == "form":
        content = urlencode(draw(form)).encode()
        content_type = "application/x-www-form-urlencoded"
    elif kind == "json":
        content = json.dumps(draw(json_value)).encode()
        content_type = "application/json"
    elif kind == "graphql":
        body = draw(st.fixed_dictionaries({"query": TEXT}, optional={
            "variables": json_value, "operationName": json_value}))  # fmt: skip
        content = json.dumps(body).encode()
        content_type = "application/json"
    elif kind == "bytes":
        content = draw(st.binary(max_size=200))
        content_type = draw(
            st.sampled_from(["application/json", "text/plain", "multipart/form-data"])
        )
    if content_type is not None and "Content-Type" not in headers:
        headers["Content-Type"] = content_type
    query = draw(st.lists(st.tuples(st.sampled_from(PARAMS) | TEXT, TEXT), max_size=4))
    raw_headers = {name.encode(): value.encode("latin-1") for name, value in headers.items()}
    return {
        "method": method,
        "url": path,
        "params": query,
        "headers": raw_headers,
        "content": content,
    }


def test_every_route_survives_hostile_requests(target: Target) -> None:
    @FUZZ
    @given(st.data())
    def run(data: st.DataObject) -> None:
        request = data.draw(requests(target))
        before = target.snapshot()
        response = target.client.request(**request)
        check(response)
        if response.status_code >= 400:
            assert target.snapshot() == before, "a refused request changed the database"

    run()
