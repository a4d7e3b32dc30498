"""The shop: products, variants, listings, orders and the buyers behind them.

Every row carries ``seller_id`` so that each query filters by the caller's seller with an index,
and every table has an index on ``(seller_id, id)``: keyset pagination walks it, so a page costs
the same at row 20 and at row 200,000. Money is integer minor units plus an ISO 4217 code.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sellergate.storage.models import Base, Id
from sellergate.storage.types import UTCDateTime, utcnow

Amount = BigInteger().with_variant(Integer(), "sqlite")


class Product(Base):
    __tablename__ = "products"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (Index("ix_products_seller_id", "seller_id", "id"),)


class ProductVariant(Base):
    __tablename__ = "product_variants"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(255))
    sku: Mapped[str | None] = mapped_column(String(64))
    price_amount: Mapped[int] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (
        Index("ix_product_variants_seller_id", "seller_id", "id"),
        Index("ix_product_variants_product", "product_id", "id"),
    )


class Listing(Base):
    """An offer of a product (optionally one variant): buy it now, auction or giveaway."""

    __tablename__ = "listings"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_variants.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(16))  # BUY_IT_NOW | AUCTION | GIVEAWAY
    status: Mapped[str] = mapped_column(String(16))  # DRAFT | PUBLISHED | UNPUBLISHED | SOLD_OUT
    price_amount: Mapped[int | None] = mapped_column(Amount)  # starting price for an auction
    currency: Mapped[str] = mapped_column(String(3))
    quantity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (
        Index("ix_listings_seller_id", "seller_id", "id"),
        Index("ix_listings_seller_status", "seller_id", "status", "id"),
        Index("ix_listings_product", "product_id"),
        Index("ix_listings_variant", "variant_id"),
    )


class Customer(Base):
    """A buyer as one seller knows them: contact details and where to ship."""

    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(40))
    address_line1: Mapped[str] = mapped_column(String(255))
    address_line2: Mapped[str] = mapped_column(String(255), default="")
    city: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100), default="")
    postal_code: Mapped[str] = mapped_column(String(20))
    country_code: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (Index("ix_customers_seller_id", "seller_id", "id"),)


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(16))  # PAID | SHIPPED | CANCELLED
    total_amount: Mapped[int] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (
        Index("ix_orders_seller_id", "seller_id", "id"),
        Index("ix_orders_seller_status", "seller_id", "status", "id"),
        Index("ix_orders_customer", "customer_id"),
    )


class OrderLineItem(Base):
    """What was bought; title, SKU and price are copied so the order outlives its listing."""

    __tablename__ = "order_line_items"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(255))
    sku: Mapped[str | None] = mapped_column(String(64))
    unit_price_amount: Mapped[int] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    quantity: Mapped[int] = mapped_column(Integer)
    __table_args__ = (
        Index("ix_order_line_items_order", "order_id", "id"),
        Index("ix_order_line_items_listing", "listing_id"),
    )


class TrackingCode(Base):
    __tablename__ = "tracking_codes"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    carrier: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (Index("ix_tracking_codes_order", "order_id", "id"),)
