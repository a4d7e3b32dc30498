"""Customers: the buyers of a seller's orders, with where to ship to."""

from __future__ import annotations

from dataclasses import dataclass

from faker import Faker
from sqlalchemy.orm import Session

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


def generate_customer(session: Session, seller_id: int, fake: Faker) -> Customer:
    """A believable US buyer made up by Faker (the marketplace's buyers are outside this API)."""
    first, last = fake.first_name(), fake.last_name()
    address = Address(
        line1=fake.street_address(),
        line2=fake.secondary_address() if fake.pybool() else "",
        city=fake.city(),
        region=fake.state_abbr(),
        postal_code=fake.postcode(),
        country_code="US",
    )
    return create_customer(
        session,
        seller_id,
        name=f"{first} {last}",
        email=f"{first}.{last}{fake.random_int(1, 999)}@{fake.free_email_domain()}".lower(),
        phone=fake.numerify("+1-###-###-####"),
        address=address,
    )
