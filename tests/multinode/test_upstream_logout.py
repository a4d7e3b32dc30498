"""OpenID Connect Back-Channel Logout from the real provider ends a seller's session on every
worker and node within a second: the seller signs out at the provider (its end-session page),
the provider posts a logout token to one worker, and the session is gone on all of them."""

from __future__ import annotations

import re
import time

import httpx

from multinode.nodes import Cluster, Node
from oidcprovider import OidcProvider, provider_settings, upstream_sign_in

PUBLIC_URL = "http://127.0.0.1:8000"
CHECKS = 8  # requests per check: with two workers, both answer some of them


def oidc_env(provider: OidcProvider) -> dict[str, str]:
    return {
        f"SELLERGATE_{name.upper()}": str(value)
        for name, value in provider_settings(provider).items()
    }


def sign_out_upstream(upstream: httpx.Client, provider: OidcProvider) -> None:
    """The seller's "sign out" at the provider (RP-independent end-session, confirmed)."""
    page = upstream.get(f"{provider.issuer}/session/end")
    assert page.status_code == 200, page.text
    action = re.search(r'action="([^"]+)"', page.text)
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', page.text)
    assert action and xsrf, page.text
    done = upstream.post(
        str(page.url.join(action.group(1))), data={"xsrf": xsrf.group(1), "logout": "yes"}
    )
    assert done.status_code in (200, 302, 303), done.text


def signed_in_everywhere(browser: httpx.Client, nodes: list[Node]) -> bool:
    return all(
        browser.get(f"{node.url}/dashboard").status_code == 200
        for node in nodes
        for _ in range(CHECKS // len(nodes))
    )


def signed_out_everywhere(browser: httpx.Client, nodes: list[Node]) -> bool:
    return all(
        browser.get(f"{node.url}/dashboard").status_code == 303
        for node in nodes
        for _ in range(CHECKS // len(nodes))
    )


def logged_out_within_a_second(
    browser: httpx.Client, upstream: httpx.Client, provider: OidcProvider, nodes: list[Node]
) -> None:
    assert signed_in_everywhere(browser, nodes)
    sign_out_upstream(upstream, provider)
    deadline = time.monotonic() + 1.0
    while not signed_out_everywhere(browser, nodes):
        assert time.monotonic() < deadline, "a session outlived the back-channel logout"
        time.sleep(0.05)


def test_back_channel_logout_ends_the_session_on_every_worker(
    node_cluster: Cluster, oidc_provider: OidcProvider
) -> None:
    node_cluster.env.update(oidc_env(oidc_provider))
    (node,) = node_cluster.start("a", workers=2)
    oidc_provider.register(PUBLIC_URL, f"{node.url}/login/oidc/backchannel-logout")
    with (
        httpx.Client(base_url=node.url, timeout=30) as browser,
        httpx.Client(timeout=30) as upstream,
    ):
        back = upstream_sign_in(browser, PUBLIC_URL, oidc_provider, "kate", upstream=upstream)
        assert back.status_code == 303, back.text
        logged_out_within_a_second(browser, upstream, oidc_provider, [node])


def test_back_channel_logout_on_one_node_ends_the_session_on_the_other(
    cluster: Cluster, oidc_provider: OidcProvider
) -> None:
    """Sessions in Redis: the logout token reaches node B; the session made on A is gone."""
    cluster.env.update(oidc_env(oidc_provider))
    a, b = cluster.start("a", "b")
    oidc_provider.register(PUBLIC_URL, f"{b.url}/login/oidc/backchannel-logout")
    with httpx.Client(base_url=a.url, timeout=30) as browser, httpx.Client(timeout=30) as upstream:
        back = upstream_sign_in(browser, PUBLIC_URL, oidc_provider, "liam", upstream=upstream)
        assert back.status_code == 303, back.text
        logged_out_within_a_second(browser, upstream, oidc_provider, [a, b])
