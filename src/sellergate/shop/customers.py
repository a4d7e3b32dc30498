"""Customers: the buyers of a seller's orders, with where to ship to."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from sqlalchemy import Row
from sqlalchemy.orm import Session

from sellergate.errors import UnknownReference
from sellergate.shop.owned import Reader
from sellergate.shop.reads import Reads
from sellergate.storage import shop_models as rows


class Address(NamedTuple):
    line1: str
    city: str
    postal_code: str
    country_code: str
    line2: str = ""
    region: str = ""


class Customer(NamedTuple):
    id: int
    name: str
    email: str
    phone: str
    address: Address


def _customer(row: rows.Customer | Row[Any]) -> Customer:
    return Customer(
        row.id,
        row.name,
        row.email,
        row.phone,
        Address(
            row.address_line1,
            row.city,
            row.postal_code,
            row.country_code,
            row.address_line2,
            row.region,
        ),
    )


READER = Reader(rows.Customer, _customer)


def create_customer(
    session: Session, seller_id: int, *, name: str, email: str, phone: str, address: Address
) -> Customer:
    customer = rows.Customer(
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
    return _customer(customer)


def customers_by_ids(reads: Reads, seller_id: int, ids: Iterable[int]) -> dict[int, Customer]:
    return READER.by_ids(reads, seller_id, ids)


def find_customer(reads: Reads, seller_id: int, customer_id: int) -> Customer | None:
    return READER.one(reads, seller_id, customer_id)


def get_customer(reads: Reads, seller_id: int, customer_id: int) -> Customer:
    """One of the seller's customers; :class:`~sellergate.errors.UnknownReference` otherwise."""
    found = find_customer(reads, seller_id, customer_id)
    if found is None:
        raise UnknownReference("no customer with this ID", field="id")
    return found
