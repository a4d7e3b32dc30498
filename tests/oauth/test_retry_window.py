"""The lost-response retry window (docs/oauth.md §5), sentence by sentence, on both databases.

A retry with the same refresh token within ``SELLERGATE_REFRESH_REUSE_WINDOW`` gets a new pair
only for a token its presenter presented before, and only while neither half of the pair it lost
was used; anything else is reuse and revokes the whole authorization. Checked through the
endpoints (token, introspection, the API) and, for the concurrent case, in the tables.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select, update

from oauth.conftest import Flow
from oauth.test_concurrency import race
from oauth.test_token import assert_oauth_error
from sellergate.accounts.bearer import record_first_use
from sellergate.errors import InvalidToken
from sellergate.oauth.metadata import INTROSPECT_PATH, TOKEN_PATH
from sellergate.storage.database import Database
from sellergate.storage.models import AccessToken, Client, Grant, RefreshToken
from sellergate.storage.types import utcnow


def active(flow: Flow, token: str) -> bool:
    response = flow.post(INTROSPECT_PATH, {"token": token})
    assert response.status_code == 200, response.text
    return bool(response.json()["active"])


def assert_authorization_revoked(flow: Flow, *pairs: dict[str, str]) -> None:
    for pair in pairs:
        for token in (pair["access_token"], pair["refresh_token"]):
            assert not active(flow, token)
        refused = flow.api(pair["access_token"])
        assert refused.status_code == 401
        assert "revoked" in refused.headers["www-authenticate"]
        assert_oauth_error(flow.refresh(pair["refresh_token"]), "invalid_grant")


def assert_reuse(response: httpx.Response) -> None:
    assert_oauth_error(response, "invalid_grant")
    assert "every token of this authorization is revoked" in response.json()["error_description"]


def test_a_pair_whose_access_token_reached_the_api_is_not_replaced(flow: Flow) -> None:
    """Refresh RT1 -> (AT2, RT2); AT2 on the API; RT1 again is reuse, not a retry: the response
    evidently was not lost."""
    first = flow.tokens()
    second = flow.refresh(first["refresh_token"]).json()
    assert flow.api(second["access_token"]).status_code == 200
    assert_reuse(flow.refresh(first["refresh_token"]))
    assert_authorization_revoked(flow, first, second)


def test_a_token_spent_by_someone_elses_retry_cannot_be_retried(flow: Flow) -> None:
    """Refresh RT1 -> RT2; RT1 again (a retry) -> RT3, RT2 dead; RT2, never presented before,
    is reuse: two holders of one family cannot alternate inside the window."""
    first = flow.tokens()
    second = flow.refresh(first["refresh_token"]).json()
    retried = flow.refresh(first["refresh_token"])
    assert retried.status_code == 200, retried.text
    third = retried.json()
    assert not active(flow, second["refresh_token"]) and not active(flow, second["access_token"])
    assert active(flow, third["refresh_token"])
    assert_reuse(flow.refresh(second["refresh_token"]))
    assert_authorization_revoked(flow, first, second, third)


def test_a_retry_replaces_a_pair_only_once(flow: Flow) -> None:
    first = flow.tokens()
    flow.refresh(first["refresh_token"])
    third = flow.refresh(first["refresh_token"]).json()
    assert_reuse(flow.refresh(first["refresh_token"]))
    assert_authorization_revoked(flow, third)


def test_a_retry_before_any_use_replaces_the_pair(flow: Flow) -> None:
    """The documented case: the response was lost, nothing of it was used."""
    first = flow.tokens()
    lost = flow.refresh(first["refresh_token"]).json()
    retried = flow.refresh(first["refresh_token"])
    assert retried.status_code == 200, retried.text
    pair = retried.json()
    assert flow.api(lost["access_token"]).status_code == 401
    assert flow.api(pair["access_token"]).status_code == 200
    assert flow.refresh(pair["refresh_token"]).status_code == 200


def test_first_use_is_recorded_once_before_the_answer(flow: Flow, db: Database) -> None:
    first = flow.tokens()

    def first_used() -> object:
        with db.session() as session:
            return session.scalar(
                select(AccessToken.first_used_at).where(AccessToken.grant_id.is_not(None))
            )

    assert first_used() is None
    assert flow.api(first["access_token"]).status_code == 200
    recorded = first_used()
    assert recorded is not None
    assert flow.api(first["access_token"]).status_code == 200
    assert first_used() == recorded


def live_chains(db: Database) -> int:
    """Refresh tokens that could still be spent: unspent, unrevoked, unexpired, under a live
    grant of an enabled app."""
    with db.session() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(RefreshToken)
                .join(Grant, Grant.id == RefreshToken.grant_id)
                .join(Client, Client.id == Grant.client_id)
                .where(
                    RefreshToken.used_at.is_(None),
                    RefreshToken.revoked_at.is_(None),
                    RefreshToken.expires_at > utcnow(),
                    Grant.revoked_at.is_(None),
                    Client.disabled_at.is_(None),
                )
            )
            or 0
        )


def test_fifty_presentations_at_once_leave_at_most_one_live_chain(flow: Flow, db: Database) -> None:
    first = flow.tokens()
    data = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    bodies: list[dict[str, str]] = []

    def send(client: httpx.Client) -> httpx.Response:
        response = client.post(TOKEN_PATH, data=data, auth=flow.auth())
        if response.status_code == 200:
            bodies.append(response.json())
        return response

    statuses = race(flow.server, send, racers=50)
    # The first spends the token; at most one more is taken for a retry of a lost response,
    # and the next one finds that pair replaced: reuse, the authorization is revoked.
    assert statuses.count(200) <= 2 and statuses.count(200) + statuses.count(400) == 50
    alive = [pair for pair in bodies if active(flow, pair["refresh_token"])]
    assert len(alive) <= 1
    assert live_chains(db) <= 1
    assert live_chains(db) == len(alive)


def test_a_first_use_that_meets_a_retry_revocation_is_refused(flow: Flow, db: Database) -> None:
    """The bearer check read the token as live, then a retry revoked it before the first-use
    write: the write changes nothing and the request is refused, as if it had come after."""
    first = flow.tokens()
    with db.engine.begin() as connection:
        token_id = connection.execute(
            select(AccessToken.id).where(AccessToken.grant_id.is_not(None))
        ).scalar_one()
        connection.execute(
            update(AccessToken).where(AccessToken.id == token_id).values(revoked_at=utcnow())
        )
    with db.engine.begin() as connection, pytest.raises(InvalidToken, match="revoked"):
        record_first_use(connection, token_id, utcnow())
    with db.session() as session:
        assert session.get(AccessToken, token_id).first_used_at is None  # type: ignore[union-attr]
    assert flow.api(first["access_token"]).status_code == 401
