"""What a seller does in the browser, step by step, shared by the browser tests."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from live import Account


def sign_in(page: Page, account: Account) -> None:
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()


def start_connecting(page: Page, demo_url: str, account: Account) -> None:
    """From the demo app's landing page to sellergate's consent page."""
    page.goto(demo_url)
    page.get_by_role("link", name="Connect with sellergate").click()
    sign_in(page, account)
    expect(page.get_by_role("heading", name="wants access to your shop")).to_be_visible()


def me(server_url: str, token: str) -> httpx.Response:
    return httpx.post(
        f"{server_url}/seller-api/graphql",
        json={"query": "{ me { username } }"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )
