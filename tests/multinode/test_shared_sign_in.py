"""Sign-in throttling and browser sessions are one system across nodes (PostgreSQL + Redis):
a lockout earned on node A holds on node B, and a session made on A works on B and ends on
both at logout."""

from __future__ import annotations

import httpx

from multinode.nodes import Cluster, Node
from oauth.conftest import hidden_fields
from sellergate.accounts.sellers import create_seller

PASSWORD = "correct-horse-battery"


def seed_seller(cluster: Cluster) -> None:
    with cluster.database() as db, db.session(write=True) as session:
        create_seller(session, "alice", "alice@example.com", PASSWORD)


def sign_in(browser: httpx.Client, node: Node, password: str) -> httpx.Response:
    form = hidden_fields(browser.get(f"{node.url}/login").text)
    form.update(username="alice", password=password)
    return browser.post(f"{node.url}/login", data=form)


def test_a_lockout_earned_on_one_node_holds_on_the_other(cluster: Cluster) -> None:
    seed_seller(cluster)
    a, b = cluster.start("a", "b")
    with httpx.Client(timeout=30) as browser:
        failures = [sign_in(browser, a, "wrong-password").status_code for _ in range(5)]
        assert failures == [401] * 5
        locked = sign_in(browser, b, PASSWORD)
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0


def test_a_session_made_on_one_node_works_on_the_other_and_ends_on_both(
    cluster: Cluster,
) -> None:
    seed_seller(cluster)
    a, b = cluster.start("a", "b")
    with httpx.Client(timeout=30) as browser:
        assert sign_in(browser, a, PASSWORD).status_code == 303
        copied = dict(browser.cookies)
        dashboard = browser.get(f"{b.url}/dashboard")
        assert dashboard.status_code == 200
        logout = browser.post(f"{b.url}/logout", data=hidden_fields(dashboard.text))
        assert logout.status_code == 303
    for node in (a, b):
        with httpx.Client(timeout=30, cookies=copied) as thief:
            after = thief.get(f"{node.url}/dashboard")
        assert after.status_code in (302, 303)
        assert after.headers["location"].startswith("/login")
