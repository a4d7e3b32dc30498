"""GraphQL operations generated from ``schema.graphql`` (hypothesis-graphql), valid and not.

With a full-access token every generated query and mutation runs for real. Whatever it is,
the answer is never a 5xx, never internal text, never a masked internal error, and an
operation refused as a whole (4xx, or errors with no data) changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import hypothesis_graphql
from graphql import build_schema
from hypothesis import given
from hypothesis import strategies as st
from hypothesis_graphql import Mode, nodes

from fuzz.support import FUZZ, Target, check

SCHEMA = build_schema((Path(__file__).parents[2] / "schema.graphql").read_text())
SCALARS = {
    "DateTime": st.one_of(st.datetimes().map(lambda d: d.isoformat()), st.text(max_size=20)).map(
        nodes.String
    )
}


def operations(mode: Mode) -> st.SearchStrategy[object]:
    return hypothesis_graphql.from_schema(SCHEMA, custom_scalars=SCALARS, mode=mode)


OPERATIONS = st.one_of(operations(Mode.POSITIVE), operations(Mode.NEGATIVE))


def test_generated_operations(target: Target) -> None:
    headers = {"Authorization": f"Bearer {target.token}"}

    @FUZZ
    @given(OPERATIONS)
    def run(query: object) -> None:
        before = target.snapshot()
        response = target.client.post("/seller-api/graphql", json={"query": query}, headers=headers)
        check(response)
        body = json.loads(response.content) if response.content else {}
        refused = response.status_code >= 400 or body.get("data") is None
        if refused:
            assert target.snapshot() == before, "a refused operation changed the database"

    run()
