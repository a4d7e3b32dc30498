"""Customers: the buyers of a seller's orders, with where to ship to."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from sellergate.shop.owned import get_owned
from sellergate.storage.shop_models import Customer


@dataclass(frozen=True, slots=True)
class Address:
    line1: str
    city: str
    postal_code: str
    country_code: str
    line2: str = ""
    region: str = ""


def create_customer(
    session: Session, seller_id: int, *, name: str, email: str, phone: str, address: Address
) -> Customer:
    customer = Customer(
        seller_id=seller_id,
        name=name[:255],
        email=email[:254],
        phone=phone[:40],
        address_line1=address.line1[:255],
        address_line2=address.line2[:255],
        city=address.city[:100],
        region=address.region[:100],
        postal_code=address.postal_code[:20],
        country_code=address.country_code[:2].upper(),
    )
    session.add(customer)
    session.flush()
    return customer


def get_customer(session: Session, seller_id: int, customer_id: int) -> Customer:
    """One of the seller's customers; :class:`~sellergate.errors.UnknownReference` otherwise."""
    return get_owned(session, Customer, seller_id, customer_id)
