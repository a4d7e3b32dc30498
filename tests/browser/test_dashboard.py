"""The seller dashboard in a real browser: create, reveal once, copy, rotate and revoke a token."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from browser.steps import me, sign_in
from live import Account, LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.databases("sqlite")]


def reveal(page: Page) -> str:
    expect(page.get_by_role("heading", name="A secret is waiting for you")).to_be_visible()
    link = page.url
    page.get_by_role("button", name="Reveal the secret").click()
    expect(page.get_by_text("This is the only time it is shown")).to_be_visible()
    secret = page.get_by_label("The secret").input_value()
    page.goto(link)  # the link is used up
    expect(page.get_by_role("heading", name="This link has already been used")).to_be_visible()
    return secret


def test_create_reveal_rotate_and_revoke_a_token(
    page: Page, server: LiveServer, seller: Account
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page.goto(server.url + "/dashboard")
    sign_in(page, seller)
    expect(page.get_by_role("heading", name="Your API access")).to_be_visible()

    page.get_by_label("Name").fill("Inventory sync")
    page.get_by_label("Expires").select_option(label="7 days")
    page.get_by_role("button", name="Create token").click()

    expect(page.get_by_role("heading", name="A secret is waiting for you")).to_be_visible()
    page.get_by_role("button", name="Reveal the secret").click()
    secret = page.get_by_label("The secret").input_value()
    assert secret.startswith("wn_access_tk_test_")
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#copy-status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    page.go_back()
    page.reload()
    expect(page.get_by_role("heading", name="This link has already been used")).to_be_visible()

    assert me(server.url, secret).status_code == 200
    page.goto(server.url + "/dashboard")
    row = page.locator("tr", has_text="Inventory sync")
    expect(row).to_contain_text("…" + secret[-4:])
    expect(row).to_contain_text("in 6 days")
    expect(page.locator("body")).not_to_contain_text(secret)
    for _ in range(50):  # last-used times are flushed in the background
        if "just now" in row.locator("td").nth(2).inner_text():
            break
        page.wait_for_timeout(200)
        page.reload()
    expect(row.locator("td").nth(2)).to_have_text("just now")

    row.get_by_role("button", name="Rotate").click()
    expect(page.get_by_role("heading", name="Rotate this token?")).to_be_visible()
    page.get_by_label("Right away").check()
    page.get_by_role("button", name="Rotate token").click()
    rotated = reveal(page)
    assert rotated != secret
    assert me(server.url, secret).status_code == 401
    assert me(server.url, rotated).status_code == 200

    page.goto(server.url + "/dashboard")
    row = page.locator("tbody tr", has_text="…" + rotated[-4:])
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("heading", name="Revoke this token?")).to_be_visible()
    page.get_by_role("button", name="Revoke token").click()
    expect(page.locator("#flash")).to_have_text("Token revoked. It no longer works.")
    assert me(server.url, rotated).status_code == 401
    page.get_by_text("Revoked and expired tokens").click()
    expect(page.locator("details.history")).to_contain_text("Inventory sync")


def test_expiry_on_a_chosen_date(page: Page, server: LiveServer, seller: Account) -> None:
    page.goto(server.url + "/dashboard")
    sign_in(page, seller)
    date_field = page.get_by_label("Expiry date")
    expect(date_field).to_be_hidden()
    page.get_by_label("Expires").select_option(label="On a date…")
    expect(date_field).to_be_visible()
    page.get_by_label("Name").fill("Quarter report")
    day = (date.today() + timedelta(days=45)).isoformat()
    date_field.fill(day)
    page.get_by_role("button", name="Create token").click()
    page.get_by_role("button", name="Reveal the secret").click()
    page.get_by_role("link", name="Back to the dashboard").click()
    row = page.locator("tr", has_text="Quarter report")
    expect(row.locator("time").nth(1)).to_have_attribute("title", f"{day} 23:59 UTC")
