"""The routes file is checked when the settings load: a mistake names its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sellergate.config import ConfigError, load_settings
from sellergate.gateway.routes import RoutesFileError, load_routes, parse_routes
from sellergate.scopes import Scope

ROOT = Path(__file__).resolve().parents[2]
GOOD = """\
# comment
[[route]]
methods = ["get", "Post"]
path = "/v1/orders/*/items/**"
scopes = ["read:orders", "read:customers"]

[[route]]
methods = ["*"]
path = "/"
scopes = []
"""


def test_a_good_file() -> None:
    table = parse_routes(GOOD)
    first, second = table.routes
    assert first.methods == {"GET", "POST"}
    assert first.pattern == ("v1", "orders", "*", "items", "**")
    assert first.scopes == {Scope.READ_ORDERS, Scope.READ_CUSTOMERS}
    assert first.line == 2
    assert second.methods == frozenset()  # any method
    assert second.pattern == ()
    assert table.find("DELETE", "/") is second
    assert table.find("GET", "/v1/orders/1/items") is first
    assert table.find("GET", "/v1/orders/1") is None


def test_the_shipped_example_is_valid() -> None:
    table = load_routes(ROOT / "deploy" / "gateway" / "routes.toml")
    assert table.routes


def _bad(lines: str) -> str:
    with pytest.raises(RoutesFileError) as caught:
        parse_routes(lines, "routes.toml")
    return str(caught.value)


ROUTE = '[[route]]\nmethods = ["GET"]\npath = "/v1/orders"\nscopes = ["read:orders"]\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            ROUTE + ROUTE.replace('"read:orders"', '"read:order"'),
            "routes.toml:8: route 2: unknown scope 'read:order'",
        ),
        (
            ROUTE.replace('"/v1/orders"', '"/v1/or*ders"'),
            "routes.toml:3: route 1: bad pattern '/v1/or*ders'",
        ),
        (ROUTE.replace('"/v1/orders"', '"/v1/**/x"'), "'**' may only be the last segment"),
        (ROUTE.replace('"/v1/orders"', '"v1/orders"'), "must start with '/'"),
        (ROUTE.replace('"/v1/orders"', '"/v1/orders/"'), "empty segment"),
        (ROUTE.replace('"/v1/orders"', '"/v1/../orders"'), "dot segments"),
        (ROUTE.replace('"/v1/orders"', '"/v1/%2e"'), "plain text"),
        (ROUTE + 'scope = ["x"]\n', "routes.toml:5: route 1: unknown key 'scope'"),
        (ROUTE.replace('scopes = ["read:orders"]\n', ""), "route 1: missing 'scopes'"),
        (
            ROUTE.replace('["GET"]', '["GET", "*"]'),
            'routes.toml:2: route 1: "*" (any method) stands alone',
        ),
        (ROUTE.replace('["GET"]', '["GE T"]'), "'GE T' is not an HTTP method"),
        (ROUTE.replace('["GET"]', "[]"), "non-empty list"),
        (ROUTE.replace('["read:orders"]', '"read:orders"'), "list of scope names"),
        ("[[routes]]\n", "routes.toml:1: unknown key 'routes'"),
        ("", "no [[route]] at all"),
        ("[[route]\n", "not valid TOML"),
    ],
)  # fmt: skip
def test_mistakes_name_the_line(text: str, expected: str) -> None:
    assert expected in _bad(text)


def test_settings_check_the_file_at_start(tmp_path: Path) -> None:
    path = tmp_path / "routes.toml"
    path.write_text(ROUTE.replace('"read:orders"', '"admin"'))
    with pytest.raises(ConfigError) as caught:
        load_settings(gateway_routes=str(path))
    message = str(caught.value)
    assert message.startswith("SELLERGATE_GATEWAY_ROUTES: ")
    assert "routes.toml:4: route 1: unknown scope 'admin'" in message
    assert "\n" not in message
    with pytest.raises(ConfigError, match="cannot read the routes file"):
        load_settings(gateway_routes=str(tmp_path / "missing.toml"))
    path.write_text(ROUTE)
    assert load_settings(gateway_routes=str(path)).gateway_routes == str(path)
