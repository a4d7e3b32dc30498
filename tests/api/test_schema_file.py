"""``schema.graphql`` at the repository root is exactly what the code builds."""

from __future__ import annotations

from pathlib import Path

from sellergate.api.export import sdl

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_schema_file_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text() == sdl(), (
        "schema.graphql is stale: regenerate it with `python -m sellergate.api.export`"
    )
