"""Logging: one JSON object a line (or plain text), with the request id, secrets redacted.

Every record goes through :func:`redact` before it is written, whatever logged it (ours,
uvicorn's, a library's): tokens, client secrets, authorization codes in query strings,
``Authorization`` values and secure-link paths never reach a log. :func:`logging_config` is the
``dictConfig`` that ``serve`` hands to uvicorn, so every worker logs the same way.
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sellergate.config import LogFormat, Settings
from sellergate.tokens.format import REDACTED, redact_tokens

# Set per request by the web layer; every record logged while serving it carries the id.
REQUEST_ID: ContextVar[str] = ContextVar("sellergate_request_id", default="")

_PATTERNS = (
    # A secure link is a secret: the path says which.
    (re.compile(r"(/secure-links/)[^/\s?\"']+"), rf"\1{REDACTED}"),
    # Credentials in query strings or form bodies.
    (
        re.compile(
            r"\b((?:code|code_verifier|token|access_token|refresh_token|client_secret|password)=)"
            r"[^&\s\"']+"
        ),
        rf"\1{REDACTED}",
    ),
    (re.compile(r"(?i)\b((?:bearer|basic)\s+)[^\s\"',]+"), rf"\1{REDACTED}"),
)

# Attributes every LogRecord has; anything else was passed in ``extra`` and is logged as a field.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


def redact(text: str) -> str:
    # Our tokens and secrets: the prefix stays (what kind it was), the rest goes.
    text = redact_tokens(text)
    for pattern, replacement in _PATTERNS:
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


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id", ...extra fields}``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
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
        return json.dumps(entry, default=str)


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
