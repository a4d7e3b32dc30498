"""The Seller API schema."""

from __future__ import annotations

import strawberry
from strawberry.relay import to_base64
from strawberry.types import Info

from sellergate.api.context import ApiContext
from sellergate.storage.models import Seller as SellerRow


@strawberry.type(description="The seller the token belongs to.")
class Seller:
    id: strawberry.ID
    username: str


@strawberry.type
class Query:
    @strawberry.field(description="The seller whose token made this request.")
    def me(self, info: Info[ApiContext, None]) -> Seller:
        context = info.context
        row = context.session.get(SellerRow, context.auth.seller_id)
        assert row is not None
        return Seller(id=strawberry.ID(to_base64("Seller", row.id)), username=row.username)


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(query=Query)
