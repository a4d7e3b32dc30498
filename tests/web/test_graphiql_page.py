"""The GraphiQL page: self-contained assets, strict headers, no token storage."""

from __future__ import annotations

import re

import httpx


def test_graphiql_loads_only_its_own_assets(http: httpx.Client) -> None:
    response = http.get("/seller-api/graphql")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self';" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "//" not in re.sub(r"<!doctype html>", "", response.text)  # nothing from elsewhere
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', response.text)
    assert len(assets) == 6
    for asset in assets:
        assert http.get(asset).status_code == 200, asset
    for name in ("LICENSE-graphiql", "LICENSE-react", "LICENSE-react-dom"):
        assert http.get(f"/static/graphiql/{name}").status_code == 200
    start = http.get("/static/graphiql/start.js").text
    assert "localStorage" not in start and "localStorage" not in response.text
