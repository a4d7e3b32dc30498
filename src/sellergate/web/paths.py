"""Path parameters: a row id in a URL is a plain decimal that fits the database's 64-bit keys.

Starlette's ``int`` convertor takes any run of ASCII digits, and 20 of them overflow SQLite's
and PostgreSQL's integers (a 500). ``{name:row_id}`` matches one to eighteen ASCII digits
only, so anything else (past 64 bits, a sign, Unicode digits) simply matches no route: 404.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor


class RowIdConvertor(Convertor[int]):
    regex = "[0-9]{1,18}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


ROW_ID = "row_id"
register_url_convertor(ROW_ID, RowIdConvertor())
