"""In a real browser: a seller who exists only at the marketplace's OpenID provider connects the
demo app: sign in upstream (oidc-provider's own pages), come back, approve, and the app lands
on its redirect with a code, which it exchanges for tokens that read the seller's shop."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from browser.conftest import ThreadServer
from oidcprovider import OidcProvider, provider_settings
from sellergate.cli.demo_tour import provision_demo_client
from sellergate.config import Settings
from sellergate.demo_app.app import create_demo_app
from sellergate.demo_app.client import ClientConfig
from sellergate.storage.database import Database
from sellergate.web.app import create_app

pytestmark = [pytest.mark.browser, pytest.mark.databases("sqlite")]


@pytest.fixture
def sites(
    make_settings: Callable[..., Settings], oidc_provider: OidcProvider, db: Database
) -> Iterator[tuple[str, str]]:
    """sellergate (its public URL is where it listens) and the demo app, on loopback."""
    ours, demo = ThreadServer(None), ThreadServer(None)
    settings = make_settings(**provider_settings(oidc_provider), public_url=ours.url)
    oidc_provider.register(ours.url)
    callback = f"{demo.url}/callback"
    with db.session(write=True) as session:
        client = provision_demo_client(session, settings, callback)
    ours.start(create_app(settings, db))
    demo.start(
        create_demo_app(
            ClientConfig(
                sellergate_url=ours.url,
                client_id=client.client_id,
                client_secret=client.secret,
                redirect_uri=callback,
            )
        )
    )
    try:
        yield ours.url, demo.url
    finally:
        demo.stop()
        ours.stop()


def loopback_only(route: Route) -> None:
    """oidc-provider's pages ask for a web font; the tests talk to 127.0.0.1 only."""
    if urlsplit(route.request.url).hostname == "127.0.0.1":
        route.continue_()
    else:
        route.abort()


def test_a_seller_only_upstream_connects_an_app(
    page: Page, sites: tuple[str, str], oidc_provider: OidcProvider
) -> None:
    ours, demo = sites
    page.context.route("**/*", loopback_only)
    codes: list[str] = []
    page.on(
        "request",
        lambda request: (
            codes.extend(parse_qs(urlsplit(request.url).query).get("code", []))
            if request.url.startswith(f"{demo}/callback")
            else None
        ),
    )
    page.goto(demo)
    page.get_by_role("link", name="Connect with sellergate").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_role("link", name="Sign in with Acme Market").click()

    page.locator("input[name=login]").fill("nina")
    page.locator("input[name=password]").fill("whatever-upstream-checks")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()  # consent at the provider

    expect(page.get_by_role("heading", name="wants access to your shop")).to_be_visible()
    assert page.url.startswith(f"{ours}/oauth/")
    expect(page.locator(".account")).to_contain_text("nina")
    page.get_by_role("button", name="Approve and connect").click()

    expect(page).to_have_url(demo + "/")
    expect(page.locator("#shop-name")).to_have_text("nina")
    assert len(codes) == 1 and codes[0]
