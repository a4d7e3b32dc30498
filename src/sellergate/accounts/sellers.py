"""Sellers: creation and lookup."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sellergate.accounts.passwords import MAX_LENGTH, MIN_LENGTH, hash_password
from sellergate.errors import InvalidInput, NotFound
from sellergate.storage.models import Seller

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,62}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,63}$")


def create_seller(session: Session, username: str, email: str, password: str | None) -> Seller:
    """A new seller; without a password (``None``) the seller signs in only upstream."""
    if not USERNAME.match(username):
        raise InvalidInput(
            "username must be 2-63 characters: lowercase letters, digits, '_', '.', '-'",
            field="username",
        )
    if not EMAIL.match(email):
        raise InvalidInput(f"not an email address: {email!r}", field="email")
    if password is not None and not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InvalidInput(
            f"password must be {MIN_LENGTH} to {MAX_LENGTH} characters", field="password"
        )
    if find_seller(session, username) is not None:
        raise InvalidInput(f"seller {username!r} already exists", field="username")
    seller = Seller(
        username=username,
        email=email,
        password_hash=hash_password(password) if password is not None else "",
    )
    session.add(seller)
    try:
        session.flush()
    except IntegrityError:
        raise InvalidInput(f"seller {username!r} already exists", field="username") from None
    return seller


def find_seller(session: Session, username: str) -> Seller | None:
    return session.scalars(select(Seller).where(Seller.username == username)).one_or_none()


def get_seller(session: Session, username: str) -> Seller:
    seller = find_seller(session, username)
    if seller is None:
        raise NotFound(f"no seller named {username!r}")
    return seller
