"""Sellers' accounts at the upstream OpenID Connect provider, and sign-in through them.

A seller is matched on ``(issuer, sub)`` only (OpenID Connect Core 1.0 §5.7: ``sub`` is the one
claim that is stable and unique at its issuer); an email or a username is never a link, so an
upstream user whose username equals a seller's is never signed into that seller.

With provisioning ``auto`` an unknown ``(issuer, sub)`` gets a new seller. Its username is the
username claim made valid (lowercase; characters other than letters, digits, ``_ . -`` become
``-``); if another seller has it, the first free of ``NAME-2``, ``NAME-3``, ... is taken. At
every sign-in the email and the username are refreshed from the claims, but a username another
seller holds is never taken: the seller keeps the name they have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sellergate.accounts.sellers import EMAIL, USERNAME, find_seller, get_seller
from sellergate.errors import InvalidInput, SigninFailed
from sellergate.storage.models import Seller, SellerIdentity
from sellergate.storage.types import utcnow

MAX_SUFFIX = 1000
_INVALID = re.compile(r"[^a-z0-9_.-]+")


@dataclass(frozen=True, slots=True)
class UpstreamUser:
    """Who the provider says signed in, from a validated ID token."""

    issuer: str
    subject: str
    username: str | None  # the configured username claim, as sent
    email: str | None


@dataclass(frozen=True, slots=True)
class SignedInSeller:
    seller_id: int
    username: str
    created: bool


@dataclass(frozen=True, slots=True)
class SellerSummary:
    id: int
    username: str
    email: str
    created_at: datetime
    methods: list[str]


def username_from_claim(claim: str | None, subject: str) -> str:
    """A valid username made from the claim (or, without one, from the subject)."""
    base = _INVALID.sub("-", (claim or "").strip().lower()).strip("-._")[:50]
    if len(base) < 2:
        base = "seller-" + _INVALID.sub("-", subject.lower()).strip("-._")[:20]
    return base if USERNAME.match(base) else "seller"


def _free_username(session: Session, wanted: str) -> str:
    """``wanted`` if no seller has it, else the first free ``wanted-N`` (N = 2, 3, ...)."""
    if find_seller(session, wanted) is None:
        return wanted
    for number in range(2, MAX_SUFFIX):
        candidate = f"{wanted[:50]}-{number}"
        if find_seller(session, candidate) is None:
            return candidate
    raise SigninFailed(
        "No free username for this account; ask the platform team.", code="username_exhausted"
    )


def _valid_email(email: str | None) -> str | None:
    return email if email and EMAIL.match(email) and len(email) <= 254 else None


def find_linked(session: Session, issuer: str, subject: str) -> Seller | None:
    return session.scalars(
        select(Seller)
        .join(SellerIdentity, SellerIdentity.seller_id == Seller.id)
        .where(SellerIdentity.issuer == issuer, SellerIdentity.subject == subject)
    ).one_or_none()


def sign_in_upstream(session: Session, user: UpstreamUser, *, auto: bool) -> SignedInSeller:
    """The seller linked to ``user``, refreshed from its claims; created when ``auto``.

    Raises :class:`SigninFailed` (``not_linked``) when no seller is linked and ``auto`` is off.
    """
    seller = find_linked(session, user.issuer, user.subject)
    wanted = username_from_claim(user.username, user.subject)
    email = _valid_email(user.email)
    if seller is None:
        if not auto:
            raise SigninFailed(
                "No seller account is linked to this account. Ask the platform team to link it.",
                code="not_linked",
                status=403,
            )
        seller = Seller(
            username=_free_username(session, wanted), email=email or "", password_hash=""
        )
        session.add(seller)
        try:
            session.flush()
            session.add(
                SellerIdentity(
                    seller_id=seller.id,
                    issuer=user.issuer,
                    subject=user.subject,
                    last_signin_at=utcnow(),
                )
            )
            session.flush()
        except IntegrityError:
            # A concurrent first sign-in (same subject, or the same free name) won the race.
            raise SigninFailed(
                "The sign-in collided with another; try again.", code="conflict", status=409
            ) from None
        return SignedInSeller(seller.id, seller.username, True)
    if email and email != seller.email:
        seller.email = email
    if wanted != seller.username and find_seller(session, wanted) is None:
        seller.username = wanted
    try:
        session.flush()
    except IntegrityError:
        # Another sign-in took the name between the check and the write: keep the old one.
        raise SigninFailed(
            "The sign-in collided with another; try again.", code="conflict", status=409
        ) from None
    for identity in session.scalars(
        select(SellerIdentity).where(
            SellerIdentity.issuer == user.issuer, SellerIdentity.subject == user.subject
        )
    ):
        identity.last_signin_at = utcnow()
    return SignedInSeller(seller.id, seller.username, False)


def link_identity(session: Session, username: str, issuer: str, subject: str) -> SellerIdentity:
    """Link an existing seller to ``(issuer, subject)``; one upstream account, one seller."""
    if not issuer:
        raise InvalidInput("SELLERGATE_OIDC_ISSUER is not set", field="oidc_subject")
    if not subject or len(subject) > 255:
        raise InvalidInput("the subject must be 1-255 characters", field="oidc_subject")
    seller = get_seller(session, username)
    taken = find_linked(session, issuer, subject)
    if taken is not None:
        raise InvalidInput(
            f"that subject is already linked to seller {taken.username!r}", field="oidc_subject"
        )
    identity = SellerIdentity(seller_id=seller.id, issuer=issuer, subject=subject)
    session.add(identity)
    try:
        session.flush()
    except IntegrityError:
        raise InvalidInput("that subject is already linked", field="oidc_subject") from None
    return identity


def list_sellers(session: Session) -> list[SellerSummary]:
    linked = set(session.scalars(select(SellerIdentity.seller_id).distinct()))
    return [
        SellerSummary(
            seller.id,
            seller.username,
            seller.email,
            seller.created_at,
            (["password"] if seller.password_hash else [])
            + (["oidc"] if seller.id in linked else []),
        )
        for seller in session.scalars(select(Seller).order_by(Seller.id))
    ]
