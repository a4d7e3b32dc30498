"""Money: integer minor units plus an ISO 4217 currency code; decimal strings at the edges."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from sellergate.shop.validation import invalid

# Minor-unit exponents of the currencies the marketplace settles in.
CURRENCIES: dict[str, int] = {"USD": 2, "CAD": 2, "EUR": 2, "GBP": 2, "AUD": 2, "JPY": 0}
DEFAULT_CURRENCY = "USD"
MAX_MAJOR_UNITS = 1_000_000  # a price above this is a typo, not an offer


class Money(NamedTuple):
    minor: int
    currency: str

    @property
    def amount(self) -> str:
        """The decimal string, e.g. ``"12.50"`` (``"1200"`` for JPY).

        Integer arithmetic rather than :class:`~decimal.Decimal`: a page of orders formats
        hundreds of amounts."""
        exponent = CURRENCIES[self.currency]
        if exponent == 0:
            return str(self.minor)
        major, minor = divmod(abs(self.minor), 10**exponent)
        sign = "-" if self.minor < 0 else ""
        return f"{sign}{major}.{minor:0{exponent}d}"

    def times(self, quantity: int) -> Money:
        return Money(self.minor * quantity, self.currency)


def parse_currency(code: str, field: str) -> str:
    upper = code.strip().upper()
    if upper not in CURRENCIES:
        supported = ", ".join(sorted(CURRENCIES))
        raise invalid(f"unsupported currency {code[:8]!r}; use one of {supported}", field)
    return upper


def parse_money(amount: str, currency: str, field: str) -> Money:
    """A price from its decimal string: non-negative, no finer than the currency's minor unit."""
    code = parse_currency(currency, field)
    exponent = CURRENCIES[code]
    text = amount.strip()
    if len(text) > 32:
        raise invalid("amount is too long", field, "TOO_LONG")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise invalid(f"not a decimal amount: {text!r}", field) from None
    if not value.is_finite():
        raise invalid("amount must be a finite number", field)
    if value < 0:
        raise invalid("amount must not be negative", field, "OUT_OF_RANGE")
    if value > MAX_MAJOR_UNITS:
        raise invalid(f"amount must be at most {MAX_MAJOR_UNITS}", field, "OUT_OF_RANGE")
    minor = value.scaleb(exponent)
    if minor != minor.to_integral_value():
        raise invalid(f"{code} amounts have at most {exponent} decimal places", field)
    return Money(int(minor), code)
