"""Hostile requests to every route: forms, headers and JSON bodies built by Hypothesis.

Requests are drawn from the route table (:mod:`fuzz.routes`, which ``test_coverage.py``
keeps equal to the app's routes), with hostile path parameters and hostile raw header values;
two deterministic sweeps send every hostile header value and every hostile path parameter to
every route. Whatever the request, the answer is never a 5xx, never shows internal text, and
a refused request (4xx) changes nothing in the database.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote, urlencode

from hypothesis import given
from hypothesis import strategies as st

from fuzz.routes import FUZZED
from fuzz.support import FUZZ, LONG, Target, check
from live import Account
from oauth.conftest import Browser, hidden_fields
from sellergate.oauth.metadata import INTROSPECT_PATH, REVOKE_PATH, TOKEN_PATH

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


ROUTES = sorted((path, sorted(methods)) for path, methods in FUZZED.items())

# RFC 9449 proofs that parse but are not what the server takes: a JWS of a different shape,
# alg none, a header that is not JSON.
DPOP_PROOFS = [
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6Im5vbmUifQ.e30.",
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7fX0.e30.AAAA",
    "e30.e30.e30",
    "a.b.c",
    "x" * 5000,
]
# What goes into a path parameter holding a database id ({name:row_id}) ...
ID_SEGMENTS = [
    "0", "-1", "007", "9223372036854775807", "9223372036854775808",
    "99999999999999999999", "1" * 400, "%D9%A1%D9%A2", "%C2%B2", "%EF%BC%91", "1e3", "+1",
]  # fmt: skip
# ... and into any other: lone surrogates (as WTF-8 would spell them), bytes that are not
# UTF-8, NUL, traversal, long runs.
TEXT_SEGMENTS = [
    "%ED%A0%80", "a%ED%B0%80b", "%FF%FE", "%C0%AF", "%00", "..", "%2E%2E%2F", "a" * 300, "%09",
]  # fmt: skip
SEGMENT = st.one_of(
    TEXT.map(lambda s: quote(s, safe="")),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(ID_SEGMENTS + TEXT_SEGMENTS),
)

# Every header that reaches a parser in the app.
HEADERS = [
    "Authorization", "DPoP", "Cookie", "X-Forwarded-For", "X-Forwarded-Proto",
    "X-Forwarded-Host", "Content-Type", "Accept", "Origin", "Content-Length",
]  # fmt: skip
# Raw header values: bytes outside UTF-8, control characters, tabs, over-long values.
HOSTILE_VALUES = [
    b"Basic\t/w== x", b"Basic /w==", b"Basic\t\xff\xfe", b"Bearer \xff\xfe\xfd",
    b"DPoP \x00\x01", b"\xc3\x28", b"\xed\xa0\x80", b"a\x00b", b"\t", b"\x7f\x1b[0m",
    b"sellergate_session=\xff; other=\x00", b"application/json; charset=\xff",
    b"multipart/form-data; boundary=", b"-1", b"99999999999999999999",
    b"x" * 20_000, b"Bearer " + b"A" * 20_000, b"1.2.3.4, " * 2_000,
]  # fmt: skip
HEADER_VALUE = st.one_of(
    st.sampled_from(HOSTILE_VALUES),
    st.binary(max_size=60).filter(lambda b: b"\r" not in b and b"\n" not in b),
    HEADER_TEXT.map(lambda s: s.encode("latin-1")),
)


OAUTH = (TOKEN_PATH, REVOKE_PATH, INTROSPECT_PATH)
FORM = {b"Content-Type": b"application/x-www-form-urlencoded"}
GRANT = b"grant_type=refresh_token&refresh_token=x&token=x"


def fill(template: str, segment: str) -> str:
    """``template`` with every parameter replaced by ``segment``."""
    path = template
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + segment + path[end + 1 :]
    return path


@st.composite
def requests(draw: st.DrawFn, target: Target) -> dict[str, Any]:
    template, methods = draw(st.sampled_from(ROUTES))
    path = template
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + draw(SEGMENT) + path[end + 1 :]
    hostile = draw(st.dictionaries(st.sampled_from(HEADERS), HEADER_VALUE, max_size=3))
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
    raw_headers.update({name.encode(): value for name, value in hostile.items()})
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


def _header_sets(value: bytes) -> list[dict[bytes, bytes]]:
    """Headers carrying ``value``: all at once (``make test``), and each alone as well
    (``make fuzz``: a parser that refuses first can hide the one behind it)."""
    names = [n for n in HEADERS if n != "Content-Length" or value.isdigit()]  # frames the body
    together = {name.encode(): value for name in names}
    return [together, *({name.encode(): value} for name in names)] if LONG else [together]


def test_every_header_parser_survives_hostile_values(target: Target) -> None:
    """Each hostile value in every parsed header, on every route and method: no 5xx."""
    for template, methods in ROUTES:
        path = fill(template, "1")
        for method in sorted(set(methods) - {"HEAD"}):
            for value in HOSTILE_VALUES:
                for headers in _header_sets(value):
                    check(target.client.request(method, path, headers=headers, content=b"x=1"))
            if template in OAUTH:  # client authentication's parsers, reached by a valid form
                for value in HOSTILE_VALUES:
                    headers = {b"Authorization": value, b"DPoP": value, **FORM}
                    check(target.client.request(method, path, headers=headers, content=GRANT))


def test_every_path_parameter_survives_hostile_segments(
    target: Target, browser: Browser, seller: Account
) -> None:
    """Hostile ids and strings in every path parameter, signed in with a valid CSRF token
    (so the dashboard's handlers, not the sign-in check, meet them): no 5xx, no change."""
    assert browser.login(seller).status_code == 303
    fields = hidden_fields(browser.http.get("/dashboard").text)
    # A signed-in visit moves its session's last-seen time: that is all it may change.
    unchanged = frozenset({"web_sessions"})
    before = target.snapshot(ignore=unchanged)
    for template, methods in ROUTES:
        if "{" not in template:
            continue
        for segment in ID_SEGMENTS + TEXT_SEGMENTS:
            for method in sorted(set(methods) - {"HEAD"}):
                data = {**fields, "confirm": "yes"} if method == "POST" else None
                check(browser.http.request(method, fill(template, segment), data=data))
    assert target.snapshot(ignore=unchanged) == before
