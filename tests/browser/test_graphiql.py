"""GraphiQL works offline under its Content-Security-Policy and forgets the token with the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Route

from live import Account, LiveServer

pytestmark = pytest.mark.browser


def test_graphiql_runs_offline_under_its_csp(
    page: Page, server: LiveServer, seller: Account
) -> None:
    elsewhere: list[str] = []
    problems: list[str] = []

    def only_sellergate(route: Route) -> None:
        if route.request.url.startswith(server.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_sellergate)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(server.url + "/seller-api/graphql")
    page.fill("#token", seller.token)
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/seller-api/graphql")
    ) as answered:
        page.click("button[type=submit]")
    assert answered.value.status == 200  # GraphiQL's own schema request, with the token
    page.wait_for_selector(".graphiql-container")
    assert elsewhere == [] and problems == []
    stored = page.evaluate("JSON.stringify(window.localStorage) + JSON.stringify(sessionStorage)")
    assert seller.token not in stored
    page.reload()
    assert page.is_visible("#token")  # a new page asks again: the token is gone
