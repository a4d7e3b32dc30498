"""Every error answer comes from one catalogue, in the shape its endpoint promises (docs/api.md,
"Errors"): GraphQL errors with a code at the Seller API, ``error`` and ``error_description`` at
every other JSON endpoint, a page for people; never stored."""

from __future__ import annotations

import httpx

from live import Account

GRAPHQL = "/seller-api/graphql"


def graphql_error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["cache-control"] == "no-store"
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == code
    assert isinstance(error["message"], str)
    return str(error["message"])


def json_error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["cache-control"].startswith("no-store")
    body = response.json()
    assert body["error"] == code
    return str(body["error_description"])


def test_the_seller_api_answers_in_the_graphql_shape(http: httpx.Client, seller: Account) -> None:
    auth = {"Authorization": f"Bearer {seller.token}"}
    empty = http.post(GRAPHQL, json={"query": " "}, headers=auth)
    assert "empty" in graphql_error(empty, 400, "BAD_REQUEST")
    not_json = http.post(GRAPHQL, content=b"query", headers=auth)
    graphql_error(not_json, 415, "BAD_REQUEST")
    no_token = http.post(GRAPHQL, json={"query": "{ me { id } }"})
    graphql_error(no_token, 401, "UNAUTHENTICATED")
    assert no_token.headers["www-authenticate"].startswith("Bearer ")
    nowhere = http.post(GRAPHQL + "/nothing", json={"query": "{ me { id } }"}, headers=auth)
    graphql_error(nowhere, 404, "NOT_FOUND")


def test_other_json_endpoints_answer_error_and_description(http: httpx.Client) -> None:
    token = http.post(
        "/seller-api/rest/oauth/token", content=b"{}", headers={"Content-Type": "application/json"}
    )
    assert "urlencoded" in json_error(token, 400, "invalid_request")
    wrong_method = http.delete("/seller-api/rest/oauth/token")
    json_error(wrong_method, 405, "invalid_request")
    assert "POST" in wrong_method.headers["allow"]
    link = http.post("/secure-links/nothing-here/reveal", headers={"Accept": "application/json"})
    json_error(link, 404, "not_found")
    gateway = http.get("/gateway/verify", headers={"X-Original-URI": "/x"})
    json_error(gateway, 403, "not_configured")
    nowhere = http.get("/seller-api/rest/nothing")
    json_error(nowhere, 404, "not_found")


def test_people_get_a_page(http: httpx.Client) -> None:
    nowhere = http.get("/no-such-page")
    assert nowhere.status_code == 404
    assert nowhere.headers["content-type"].startswith("text/html")
    assert "Not found" in nowhere.text
    link = http.get("/secure-links/nothing-here")
    assert link.status_code == 404 and "Link not found" in link.text
