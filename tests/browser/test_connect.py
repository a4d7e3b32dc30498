"""The demo "Connect" app against sellergate in a real browser: approve, deny, refresh, and
disconnect from the dashboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update

from browser.conftest import DemoApp
from browser.steps import me, start_connecting
from live import Account, LiveServer
from sellergate.storage.database import Database
from sellergate.storage.models import AccessToken
from sellergate.storage.types import utcnow

pytestmark = [pytest.mark.browser, pytest.mark.databases("sqlite")]


def test_connect_sign_in_approve_and_see_orders(
    page: Page, demo_app: DemoApp, shop: Account
) -> None:
    start_connecting(page, demo_app.url, shop)
    expect(page.get_by_text("Registered by the sellergate demo")).to_be_visible()
    expect(page.get_by_text("See your orders and their tracking codes")).to_be_visible()
    expect(page.get_by_text("See the names, emails, phone numbers and addresses")).to_be_visible()
    expect(page.locator(".account")).to_contain_text(shop.username)

    approve = page.get_by_role("button", name="Approve and connect")
    approve.focus()
    page.keyboard.press("Enter")  # the decision works from the keyboard

    expect(page).to_have_url(demo_app.url + "/")
    expect(page.locator("#shop-name")).to_have_text(shop.username)
    orders = page.locator("#orders tbody tr")
    expect(orders.first).to_be_visible()
    assert orders.count() >= 5
    expect(page.locator("#listings li").first).to_be_visible()


def test_the_apps_token_is_bound_and_useless_when_copied(
    page: Page, demo_app: DemoApp, shop: Account, server: LiveServer
) -> None:
    """The demo app pushes its request (PAR) and holds DPoP-bound tokens: the curl command it
    shows, the token sent as a Bearer token, is refused."""
    start_connecting(page, demo_app.url, shop)
    assert "request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3A" in page.url
    page.get_by_role("button", name="Approve and connect").click()
    command = page.locator("#steal-command").inner_text()
    token = re.search(r"Bearer (wn_access_tk_test_\w+)", command)
    assert token is not None
    assert command.startswith(f"curl -si {server.url}/seller-api/graphql")
    stolen = me(server.url, token.group(1))
    assert stolen.status_code == 401
    assert stolen.headers["www-authenticate"].startswith('DPoP error="invalid_token"')
    page.reload()  # the app itself, with its key, still gets through
    expect(page.locator("#shop-name")).to_have_text(shop.username)
    page.goto(server.url + "/dashboard")
    expect(page.locator('[data-bound="dpop"]')).to_be_visible()


@pytest.mark.parametrize("javascript", [False], ids=["no-js"], indirect=True)
def test_deny_shares_nothing_and_works_without_javascript(
    page: Page, demo_app: DemoApp, shop: Account, server: LiveServer
) -> None:
    start_connecting(page, demo_app.url, shop)
    page.get_by_role("button", name="Deny").click()
    expect(page).to_have_url(demo_app.url + "/")
    expect(page.locator("#message")).to_have_text(
        "You chose not to connect. Nothing was shared with this app."
    )
    expect(page.get_by_role("link", name="Connect with sellergate")).to_be_visible()
    page.goto(server.url + "/dashboard")
    expect(page.get_by_text("No apps are connected.")).to_be_visible()


def test_expired_access_token_is_refreshed_and_retried(
    page: Page, demo_app: DemoApp, shop: Account, db: Database
) -> None:
    start_connecting(page, demo_app.url, shop)
    page.get_by_role("button", name="Approve and connect").click()
    expect(page.locator("#refresh-count")).to_have_text("0")

    with db.session(write=True) as session:
        session.execute(
            update(AccessToken).where(AccessToken.grant_id.is_not(None)).values(expires_at=utcnow())
        )
    page.reload()
    expect(page.locator("#refresh-count")).to_have_text("1")
    expect(page.get_by_text("last: the access token had expired")).to_be_visible()
    expect(page.locator("#orders tbody tr").first).to_be_visible()


def test_disconnect_on_the_dashboard_kills_the_apps_tokens(
    page: Page, demo_app: DemoApp, shop: Account, server: LiveServer
) -> None:
    start_connecting(page, demo_app.url, shop)
    page.get_by_role("button", name="Approve and connect").click()
    expect(page.locator("#orders")).to_be_visible()

    page.goto(server.url + "/dashboard")
    app = page.locator(f'li.app[data-client-id="{demo_app.client_id}"]')
    expect(app.get_by_role("heading", name="Demo Connect app")).to_be_visible()
    expect(app).to_contain_text("See your orders and their tracking codes")
    expect(app).to_contain_text("Authorized just now")
    app.get_by_role("button", name="Disconnect Demo Connect app").click()
    expect(page.get_by_role("heading", name="Disconnect Demo Connect app?")).to_be_visible()
    page.get_by_role("button", name="Disconnect").click()
    expect(page.locator("#flash")).to_contain_text("Demo Connect app was disconnected")
    expect(page.get_by_text("No apps are connected.")).to_be_visible()

    page.goto(demo_app.url)
    refused = page.locator("#refused")
    expect(refused).to_contain_text("sellergate refused this app's token")
    expect(refused).to_contain_text(re.compile("the authorization was revoked"))
