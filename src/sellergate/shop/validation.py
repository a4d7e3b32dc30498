"""Input checks shared by the shop services; each failure names the field and a code.

Codes are the ``userErrors`` codes of the API: ``INVALID``, ``TOO_LONG``, ``OUT_OF_RANGE``,
``NOT_FOUND``, ``INVALID_STATE`` and ``INSUFFICIENT_QUANTITY``.
"""

from __future__ import annotations

from sellergate.errors import InvalidInput

MAX_TITLE = 255
MAX_DESCRIPTION = 10_000
MAX_SKU = 64
MAX_QUANTITY = 100_000


def invalid(message: str, field: str, code: str = "INVALID") -> InvalidInput:
    error = InvalidInput(message, field=field)
    error.code = code
    return error


def text(value: str, field: str, *, max_length: int, required: bool = True) -> str:
    cleaned = value.strip()
    if required and not cleaned:
        raise invalid(f"{field} must not be blank", field)
    if len(cleaned) > max_length:
        raise invalid(f"{field} must be at most {max_length} characters", field, "TOO_LONG")
    if any(ord(char) < 32 and char not in "\n\t" for char in cleaned):
        raise invalid(f"{field} contains control characters", field)
    return cleaned


def quantity(value: int, field: str, *, minimum: int = 1) -> int:
    if not minimum <= value <= MAX_QUANTITY:
        raise invalid(
            f"{field} must be between {minimum} and {MAX_QUANTITY}", field, "OUT_OF_RANGE"
        )
    return value
