"""Pushed authorization requests (RFC 9126): stored parameters found by ``request_uri``.

An app posts its authorization request's parameters and gets a ``request_uri``; only the hash
of its random part is stored, with the app it belongs to. The authorization endpoint claims it
once (one DELETE ... RETURNING: of concurrent uses exactly one gets the parameters) and, since
the seller may still have to sign in, hands the seller's browser a new reference to the same
parameters, which the consent page reads and the decision claims once in turn.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sellergate.accounts.authorization_requests import PENDING_TTL
from sellergate.accounts.clients import find_client
from sellergate.storage.models import Client, PushedRequest
from sellergate.storage.types import utcnow
from sellergate.tokens.format import random_base62
from sellergate.tokens.hashing import token_hash

URN = "urn:ietf:params:oauth:request_uri:"
REFERENCE_LENGTH = 32


def _digest(request_uri: str) -> str | None:
    if not request_uri.startswith(URN) or len(request_uri) > len(URN) + 64:
        return None
    return token_hash(request_uri[len(URN) :])


def push_request(session: Session, client_pk: int, query: str, ttl: timedelta) -> str:
    """Store the parameters ``query`` for the app ``client_pk``; the ``request_uri``."""
    reference = random_base62(REFERENCE_LENGTH)
    session.add(
        PushedRequest(
            uri_hash=token_hash(reference),
            client_id=client_pk,
            query=query,
            expires_at=utcnow() + ttl,
        )
    )
    session.flush()
    return URN + reference


def _client_pk(session: Session, client_id: str) -> int | None:
    client = find_client(session, client_id)
    return None if client is None else client.id


def claim_pushed(session: Session, request_uri: str, client_id: str) -> str | None:
    """Spend ``request_uri`` of the app ``client_id``: its parameters, or None if it is unknown,
    another app's, expired or already used (RFC 9126 §4)."""
    digest = _digest(request_uri)
    client_pk = _client_pk(session, client_id)
    if digest is None or client_pk is None:
        return None
    query: str | None = session.execute(
        delete(PushedRequest)
        .where(
            PushedRequest.uri_hash == digest,
            PushedRequest.client_id == client_pk,
            PushedRequest.expires_at > utcnow(),
        )
        .returning(PushedRequest.query)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    return query


def hand_over(session: Session, request_uri: str, client_id: str) -> str | None:
    """At the authorization endpoint: spend the app's ``request_uri`` and store its parameters
    again under a new one that lives as long as a consent page; None if it cannot be spent."""
    query = claim_pushed(session, request_uri, client_id)
    if query is None:
        return None
    client_pk = _client_pk(session, client_id)
    assert client_pk is not None
    return push_request(session, client_pk, query, PENDING_TTL)


def peek_pushed(session: Session, request_uri: str, client_id: str) -> str | None:
    """The parameters of a live ``request_uri`` of ``client_id``, without spending it."""
    digest = _digest(request_uri)
    if digest is None:
        return None
    return session.scalar(
        select(PushedRequest.query)
        .join(Client, Client.id == PushedRequest.client_id)
        .where(
            PushedRequest.uri_hash == digest,
            Client.client_id == client_id,
            PushedRequest.expires_at > utcnow(),
        )
    )
