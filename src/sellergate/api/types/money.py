"""``Money``: a decimal string amount and a currency, as clients expect to show it."""

from __future__ import annotations

import enum
from functools import lru_cache

import strawberry

from sellergate.shop import money


@strawberry.enum(description="ISO 4217 codes of the currencies the marketplace settles in.")
class CurrencyCode(enum.Enum):
    USD = "USD"
    CAD = "CAD"
    EUR = "EUR"
    GBP = "GBP"
    AUD = "AUD"
    JPY = "JPY"


@strawberry.type(description="An amount of money.")
class Money:
    amount: str = strawberry.field(
        description='Decimal string in major units, e.g. "12.50"; never a float.'
    )
    currency: CurrencyCode


@strawberry.input(description="An amount of money: a decimal string and a currency.")
class MoneyInput:
    amount: str = strawberry.field(description='Decimal string in major units, e.g. "12.50".')
    currency: CurrencyCode = CurrencyCode.USD

    def parse(self, field: str) -> money.Money:
        return money.parse_money(self.amount, self.currency.value, field)


@lru_cache(maxsize=4096)
def money_of(value: money.Money) -> Money:
    """The GraphQL ``Money`` of an amount. Cached: a page of orders repeats the same few
    prices, and a ``Money`` is never changed once made, so requests may share one."""
    return Money(amount=value.amount, currency=CurrencyCode(value.currency))
