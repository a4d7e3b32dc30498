"""How commands print: one JSON object with ``--json``, readable lines otherwise."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import typer

JSON_OPTION = typer.Option(False, "--json", help="Print one JSON object on stdout.")


def _default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    raise TypeError(f"cannot encode {type(value).__name__}")


def emit(data: dict[str, Any], as_json: bool, human: str | None = None) -> None:
    if as_json:
        typer.echo(json.dumps(data, default=_default))
    else:
        typer.echo(human if human is not None else _lines(data))


def _lines(data: dict[str, Any]) -> str:
    return "\n".join(
        f"{key}: {_default(v) if isinstance(v, datetime) else v}" for key, v in data.items()
    )


def when(value: datetime | None) -> str:
    return _default(value) if value else "-"
