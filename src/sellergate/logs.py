"""Logging: one JSON object a line (or plain text), with the request id, secrets redacted.

Every record goes through :func:`redact` before it is written, whatever logged it (ours,
uvicorn's, a library's): tokens, client secrets, authorization codes in query strings,
``Authorization`` values and secure-link paths never reach a log. :func:`logging_config` is the
``dictConfig`` that ``serve`` hands to uvicorn, so every worker logs the same way.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
import time
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sellergate.config import LogFormat, Settings
from sellergate.tokens.format import REDACTED, TOKEN_LIKE, TokenKind

# Set per request by the web layer; every record logged while serving it carries the id.
REQUEST_ID: ContextVar[str] = ContextVar("sellergate_request_id", default="")

# Each pattern with the words (lower case) that any text it matches contains.
_PATTERNS = (
    # Our tokens and secrets: the prefix stays (what kind it was), the rest goes.
    (TOKEN_LIKE, rf"\1\2{REDACTED}", tuple(kind.value for kind in TokenKind)),
    # A secure link is a secret: the path says which.
    (re.compile(r"(/secure-links/)[^/\s?\"']+"), rf"\1{REDACTED}", ("/secure-links/",)),
    # Credentials in query strings or form bodies.
    (
        re.compile(
            r"\b((?:code|code_verifier|token|access_token|refresh_token|client_secret|password)=)"
            r"[^&\s\"']+"
        ),
        rf"\1{REDACTED}",
        ("=",),
    ),
    (re.compile(r"\b((?i:bearer|basic)\s+)[^\s\"',]+"), rf"\1{REDACTED}", ("bearer", "basic")),
)
# Most text (a method, a path, an address) holds none of the words and is let through after a
# few substring tests. Text that holds one of them (or is not ASCII: a case-blind pattern also
# matches some letters outside it, such as the long s) is searched with all the patterns in one,
# and only text they match is rewritten, pattern by pattern.
_WORDS = tuple(word.lower() for _, _, words in _PATTERNS for word in words)
_ANY = re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _, _ in _PATTERNS))

# Attributes every LogRecord has; anything else was passed in ``extra`` and is logged as a field.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


def redact(text: str) -> str:
    if text.isascii():
        lowered = text.lower()
        for word in _WORDS:
            if word in lowered:
                break
        else:
            return text
    if _ANY.search(text) is None:
        return text
    for pattern, replacement, _ in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _clean(value: object) -> object:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))


# One encoder for every record: ``json.dumps`` with an option builds a new one per call.
_encode = json.JSONEncoder(default=str).encode
# How that encoder writes a string (its own function: C where the interpreter has it).
_quote = json.encoder.encode_basestring_ascii

ACCESS_LOGGER = "sellergate.access"
# What ``LogRecord.relativeCreated`` counts from (when logging was loaded), from a record.
_probe = logging.makeLogRecord({})
STARTED = _probe.created - _probe.relativeCreated / 1000

# What a record made by ``Logger.info`` says of where it was made, which no formatter of ours
# prints: neutral values instead, of the same types (formatters read a record's own attributes,
# so they are set; a ``%(lineno)d`` still formats).
_NOWHERE = {
    "pathname": "",
    "filename": "",
    "module": "",
    "funcName": "",
    "lineno": 0,
    "threadName": "",
    "processName": "",
    "exc_info": None,
    "exc_text": None,
    "stack_info": None,
    "levelno": logging.INFO,
    "levelname": logging.getLevelName(logging.INFO),
    "name": ACCESS_LOGGER,
    "msg": "%s %s %s",
    "event": "request",
}


class AccessRecord(logging.LogRecord):
    """One access line (:mod:`sellergate.web.requestlog`), without what ``Logger.info`` works
    out for every record: the caller's file, line and function (a walk up the stack) and the
    names of the thread and the process (their ids are cheap, and kept). Every request logs one,
    so this is on the hot path; :class:`JsonFormatter` writes it with :meth:`json_line`."""

    event: str

    def __init__(
        self, method: str, path: str, status: int, duration_ms: float, client: str
    ) -> None:
        created = time.time()
        self.__dict__.update(_NOWHERE)
        self.process = os.getpid()
        self.thread = threading.get_ident()
        self.args = (method, path, status)
        self.created = created
        self.msecs = int((created - int(created)) * 1000) + 0.0
        self.relativeCreated = (created - STARTED) * 1000
        self.method = method
        self.path = path
        self.status = status
        self.duration_ms = duration_ms
        self.client = client

    def json_line(self, when: str, request_id: str) -> str:
        """What :meth:`JsonFormatter.format_any` makes of this record, character for character,
        written directly: its fields are known, and each has its type."""
        line = (
            f'{{"time": {_quote(when)}, "level": {_quote(self.levelname.lower())}, '
            f'"logger": {_quote(self.name)}, "message": {_quote(redact(self.getMessage()))}'
        )
        if request_id:
            line += f', "request_id": {_quote(request_id)}'
        return (
            f'{line}, "event": {_quote(redact(self.event))}, '
            f'"method": {_quote(redact(self.method))}, "path": {_quote(redact(self.path))}, '
            f'"status": {int.__repr__(self.status)}, '
            f'"duration_ms": {float.__repr__(self.duration_ms)}, '
            f'"client": {_quote(redact(self.client))}}}'
        )


# The attributes an access record has when made; one with more (a filter added some) is
# formatted the general way, which writes them too.
_ACCESS_ATTRIBUTES = len(AccessRecord("GET", "/", 200, 0.0, "").__dict__)


class _Seconds:
    """A record's time as ISO 8601 UTC with milliseconds; the date and time of day are worked
    out once a second (every request logs a line)."""

    def __init__(self) -> None:
        self._second = -1
        self._text = ""

    def __call__(self, record: logging.LogRecord) -> str:
        # Rounded to the microsecond first, as ``datetime.fromtimestamp`` does.
        fraction, whole = math.modf(record.created)
        micros = round(fraction * 1_000_000)
        second = int(whole) + micros // 1_000_000
        if second != self._second:
            moment = datetime.fromtimestamp(second, UTC)
            self._second, self._text = second, moment.strftime("%Y-%m-%dT%H:%M:%S")
        return f"{self._text}.{micros % 1_000_000 // 1000:03d}+00:00"


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id", ...extra fields}``."""

    def __init__(self) -> None:
        super().__init__()
        self._time = _Seconds()

    def format(self, record: logging.LogRecord) -> str:
        if (
            type(record) is AccessRecord
            and len(record.__dict__) == _ACCESS_ATTRIBUTES
            and not record.exc_info
            and type(record.status) is int
            and type(record.duration_ms) is float
            and math.isfinite(record.duration_ms)
        ):
            return record.json_line(self._time(record), REQUEST_ID.get())
        return self.format_any(record)

    def format_any(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self._time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        request_id = REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = _clean(value)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return _encode(entry)


class TextFormatter(logging.Formatter):
    """Plain lines for a terminal, redacted the same way."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = REQUEST_ID.get()
        fields = {
            key: value
            for key, value in record.__dict__.items()
            if key not in _STANDARD and not key.startswith("_")
        }
        if request_id:
            fields["request_id"] = request_id
        if fields:
            line += " " + " ".join(f"{key}={value}" for key, value in fields.items())
        return redact(line)


def logging_config(settings: Settings) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` for a server process (uvicorn applies it per worker)."""
    level = settings.log_level.upper()
    formatter = JsonFormatter if settings.log_format is LogFormat.JSON else TextFormatter
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            # uvicorn's access line is replaced by ours (web.requestlog), which is structured.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "sellergate": {"handlers": ["default"], "level": level, "propagate": False},
        },
        "root": {"handlers": ["default"], "level": "WARNING"},
    }
