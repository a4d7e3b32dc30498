"""Products: what a seller sells; variants and listings hang off them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sellergate.shop.owned import get_owned
from sellergate.shop.pagination import Page, keyset
from sellergate.shop.validation import MAX_DESCRIPTION, MAX_TITLE, text
from sellergate.storage.shop_models import Product
from sellergate.storage.types import utcnow


def create_product(
    session: Session, seller_id: int, *, title: str, description: str = ""
) -> Product:
    product = Product(
        seller_id=seller_id,
        title=text(title, "title", max_length=MAX_TITLE),
        description=text(description, "description", max_length=MAX_DESCRIPTION, required=False),
    )
    session.add(product)
    session.flush()
    return product


def update_product(
    session: Session,
    seller_id: int,
    product_id: int,
    *,
    title: str | None = None,
    description: str | None = None,
) -> Product:
    product = get_owned(session, Product, seller_id, product_id)
    new_title = text(title, "title", max_length=MAX_TITLE) if title is not None else None
    new_description = (
        text(description, "description", max_length=MAX_DESCRIPTION, required=False)
        if description is not None
        else None
    )
    if new_title is not None:
        product.title = new_title
    if new_description is not None:
        product.description = new_description
    product.updated_at = utcnow()
    session.flush()
    return product


def delete_product(session: Session, seller_id: int, product_id: int) -> int:
    """Delete a product with its variants and listings; orders keep their copies."""
    product = get_owned(session, Product, seller_id, product_id)
    session.delete(product)
    session.flush()
    return product_id


def list_products(
    session: Session, seller_id: int, *, first: int | None, after: int | None
) -> Page[Product]:
    statement = select(Product).where(Product.seller_id == seller_id)
    return keyset(session, statement, Product.id, first=first, after=after)
