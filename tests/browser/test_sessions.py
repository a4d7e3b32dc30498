"""The sessions and security-log pages in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from browser.steps import sign_in
from live import Account, LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.databases("sqlite")]


def test_sign_out_everywhere_else(
    page: Page, chromium: Browser, server: LiveServer, seller: Account
) -> None:
    other = chromium.new_context(user_agent="Mozilla/5.0 (Windows NT 10.0) Firefox/130.0")
    try:
        elsewhere = other.new_page()
        elsewhere.goto(server.url + "/dashboard")
        sign_in(elsewhere, seller)
        expect(elsewhere.get_by_role("heading", name="Your API access")).to_be_visible()

        page.goto(server.url + "/dashboard")
        sign_in(page, seller)
        page.get_by_role("link", name="Sessions").click()
        expect(page.get_by_role("heading", name="Where you are signed in")).to_be_visible()
        rows = page.locator("table.sessions tbody tr")
        expect(rows).to_have_count(2)
        expect(page.locator("tr.current")).to_contain_text("This browser")
        expect(page.locator("tr", has_text="Firefox on Windows")).to_contain_text("127.0.0.1")

        page.get_by_role("button", name="Sign out everywhere else").click()
        expect(page.get_by_role("status")).to_have_text("Signed out of 1 other session.")
        expect(rows).to_have_count(1)
        expect(page.get_by_role("button", name="Sign out everywhere else")).to_be_disabled()

        elsewhere.reload()
        expect(elsewhere.get_by_role("heading", name="Sign in")).to_be_visible()
    finally:
        other.close()


def test_security_log_shows_what_happened(page: Page, server: LiveServer, seller: Account) -> None:
    page.goto(server.url + "/login")
    page.get_by_label("Username").fill(seller.username)
    page.get_by_label("Password").fill("not-my-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    sign_in(page, seller)
    page.get_by_label("Name").fill("Nightly export")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("heading", name="A secret is waiting for you")).to_be_visible()

    page.goto(server.url + "/dashboard")
    page.get_by_role("link", name="Security log").click()
    expect(page.get_by_role("heading", name="Security log")).to_be_visible()
    rows = page.locator("table.events tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Personal token created")
    expect(rows.nth(0)).to_contain_text("label: Nightly export")
    expect(rows.nth(1)).to_contain_text("Signed in")
    expect(rows.nth(2)).to_contain_text("Failed sign-in")
    expect(rows.nth(2)).to_contain_text("127.0.0.1")
    expect(page.locator("a[aria-current=page]")).to_have_text("Security log")
