"""``Seller``: who the token belongs to."""

from __future__ import annotations

import strawberry

from sellergate.api.relay import Node


@strawberry.type(description="The seller the token belongs to.")
class Seller(Node):
    username: str
