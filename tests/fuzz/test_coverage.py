"""The fuzz suite covers every route of the app: a new route cannot be added unfuzzed."""

from __future__ import annotations

from fuzz.routes import FUZZED, app_routes


def test_every_route_of_the_app_is_in_the_fuzz_table() -> None:
    served = app_routes()
    missing = {path: sorted(methods) for path, methods in served.items() if path not in FUZZED}
    assert not missing, (
        f"routes with no fuzz coverage: {missing}. Add one line per route to FUZZED in "
        "tests/fuzz/routes.py, e.g. "
        + ", ".join(f'"{path}": frozenset({set(methods)!r})' for path, methods in missing.items())
        + "; name a path parameter holding a database id {name:row_id} (sellergate.web.paths) "
        "so the fuzzer sends it integers past 64 bits, negative, with leading zeros and in "
        "Unicode digits."
    )
    for path, methods in served.items():
        assert methods <= FUZZED[path], (
            f"{path} answers {sorted(methods - FUZZED[path])} too: add them to its line in "
            "FUZZED (tests/fuzz/routes.py)"
        )


def test_the_fuzz_table_lists_no_route_the_app_lacks() -> None:
    stale = sorted(set(FUZZED) - set(app_routes()))
    assert not stale, f"FUZZED (tests/fuzz/routes.py) lists routes the app does not serve: {stale}"
