"""Log records: JSON with the request id and extra fields, and nothing secret in any of it."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from sellergate.logs import (
    _PATTERNS,
    REQUEST_ID,
    AccessRecord,
    JsonFormatter,
    TextFormatter,
    redact,
)
from sellergate.tokens.format import TokenKind, generate
from sellergate.web.requestlog import access_log

TOKEN = generate(TokenKind.ACCESS, staging=True)
REFRESH = generate(TokenKind.REFRESH, staging=False)
SECRET = generate(TokenKind.CLIENT_SECRET, staging=True)


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("sellergate.test", logging.INFO, __file__, 1, message, args, None)
    made.__dict__.update(extra)
    return made


def test_redact_removes_every_kind_of_secret() -> None:
    text = (
        f"GET /secure-links/AbC123xyz/reveal?x=1 token=t0 {TOKEN} {REFRESH} {SECRET} "
        "code=abc&state=s refresh_token=r1 client_secret=cs password=hunter2 "
        "Authorization: Bearer opaque-value, basic dXNlcjpwYXNz"
    )
    cleaned = redact(text)
    for secret in (
        TOKEN[18:],
        REFRESH[15:],
        SECRET[20:],
        "AbC123xyz",
        "t0",
        "abc&",
        "r1",
        "cs ",
        "hunter2",
    ):
        assert secret not in cleaned, secret
    assert "opaque-value" not in cleaned and "dXNlcjpwYXNz" not in cleaned
    assert "/secure-links/[redacted]/reveal" in cleaned
    assert "wn_access_tk_test_[redacted]" in cleaned  # the kind stays readable
    assert "state=s" in cleaned


def test_json_lines_carry_the_request_id_and_extra_fields_redacted() -> None:
    reset = REQUEST_ID.set("req-1")
    try:
        line = JsonFormatter().format(
            record("token %s used", TOKEN, event="request", path="/secure-links/abc", status=200)
        )
    finally:
        REQUEST_ID.reset(reset)
    entry = json.loads(line)
    assert entry["request_id"] == "req-1"
    assert entry["level"] == "info" and entry["logger"] == "sellergate.test"
    assert entry["event"] == "request" and entry["status"] == 200
    assert entry["path"] == "/secure-links/[redacted]"
    assert TOKEN not in line


def test_exceptions_are_redacted_too() -> None:
    try:
        raise ValueError(f"bad {TOKEN}")
    except ValueError:
        failed = record("failed")
        failed.exc_info = sys.exc_info()
    for formatter in (JsonFormatter(), TextFormatter()):
        assert TOKEN not in formatter.format(failed)


def test_each_pattern_is_caught_alone() -> None:
    # The one search that lets clean text through must catch what every pattern catches, each
    # on its own and in any case for the schemes.
    for text, secret in (
        (f"x {TOKEN} y", TOKEN[18:]),
        ("/secure-links/AbC123xyz", "AbC123xyz"),
        ("a=1&client_secret=cs9", "cs9"),
        ("BEARER abc.def", "abc.def"),
        ("bAsIc dXNlcg==", "dXNlcg=="),
    ):
        assert secret not in redact(text), text
    for clean in ("POST", "/seller-api/graphql", "127.0.0.1", "GET /healthz 200", ""):
        assert redact(clean) == clean


# Pieces of what the patterns look for, in several cases, and ASCII text around them.
_PIECES = st.sampled_from(
    [kind.value for kind in TokenKind]
    + ["test_", "/secure-links/", "code=", "TOKEN=", "client_secret=", "&", "?", "=", " ", "/"]
    + ["Bearer ", "BASIC\t", "basic ", "bEaReR  ", "x9", "b"]
)
_ASCII = st.one_of(_PIECES, st.text(st.characters(codec="ascii"), max_size=4))
# Letters outside ASCII that a case-blind pattern also matches: the long s, the Kelvin sign.
_UNICODE = st.one_of(_ASCII, st.sampled_from(["ba\u017fic ", "\u212a", "\u00e9"]))


def _expected(text: str) -> str:
    # Every pattern, applied one after the other to all text: what redact must give.
    for pattern, replacement, _ in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


@settings(max_examples=1000)
@given(st.lists(_ASCII, max_size=10).map("".join))
def test_the_quick_pass_lets_through_only_what_no_pattern_matches(text: str) -> None:
    assert redact(text) == _expected(text)


@settings(max_examples=300)
@given(st.lists(_UNICODE, max_size=10).map("".join))
def test_text_beyond_ascii_is_always_searched(text: str) -> None:
    assert redact(text) == _expected(text)


def test_the_time_field_is_iso_8601_utc_to_the_millisecond() -> None:
    formatter = JsonFormatter()
    # Rounded to the microsecond before the milliseconds are cut, as datetime does.
    for created in (1764955303.109, 1764955303.9999996, 1764955303.0, 1764955303.0005):
        line = record("x")
        line.created = created
        expected = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
        assert json.loads(formatter.format(line))["time"] == expected


def test_an_access_record_formats_as_logger_info_would_make_it() -> None:
    made = AccessRecord("GET", "/secure-links/abc", 200, 0.5, "127.0.0.1")
    fields = {"event": "request", "method": "GET", "path": "/secure-links/abc", "status": 200}
    usual = access_log.makeRecord(
        access_log.name,
        logging.INFO,
        __file__,
        1,
        "%s %s %s",
        ("GET", "/secure-links/abc", 200),
        None,
        extra={**fields, "duration_ms": 0.5, "client": "127.0.0.1"},
    )
    usual.created, usual.msecs = made.created, made.msecs
    for formatter in (JsonFormatter(), TextFormatter()):
        assert formatter.format(made) == formatter.format(usual)
    # Whatever a handler's format string asks for is there.
    numbers = {"created", "levelno", "lineno", "msecs", "process", "relativeCreated", "thread"}
    every = " ".join(
        f"%({name})d" if name in numbers else f"%({name})s"
        for name in sorted(logging.makeLogRecord({}).__dict__)
    )
    line = logging.Formatter(every + " %(asctime)s: %(message)s").format(made)
    assert line.endswith(": GET /secure-links/abc 200")


@settings(max_examples=400, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "BEARER", TOKEN]) | st.text(max_size=12),
    path=st.text(max_size=80) | st.sampled_from([f"/x/{TOKEN}", "/secure-links/abc/reveal"]),
    status=st.integers(min_value=100, max_value=599),
    duration=st.floats(min_value=0, max_value=1e7, allow_nan=False),
    client=st.sampled_from(["127.0.0.1", "", "2001:db8::1", SECRET]) | st.text(max_size=20),
    request_id=st.sampled_from(["", "a1b2c3", 'say "hi"\n']),
)
def test_an_access_line_is_written_as_the_general_json_would_be(
    method: str, path: str, status: int, duration: float, client: str, request_id: str
) -> None:
    """The JSON formatter writes access records directly (they are on every request's path):
    the same characters as it writes for any record, whatever the fields hold."""
    formatter = JsonFormatter()
    made = AccessRecord(method, path, status, round(duration, 2), client)
    reset = REQUEST_ID.set(request_id)
    try:
        line = formatter.format(made)
        assert line == formatter.format_any(made)
    finally:
        REQUEST_ID.reset(reset)
    parsed = json.loads(line)
    assert parsed["status"] == status
    assert parsed["path"] == redact(path)
    assert TOKEN not in line
    assert SECRET not in line


def test_an_access_record_a_filter_added_to_is_written_with_the_addition() -> None:
    made = AccessRecord("GET", "/healthz", 200, 0.25, "127.0.0.1")
    made.tenant = "north"
    assert json.loads(JsonFormatter().format(made))["tenant"] == "north"
