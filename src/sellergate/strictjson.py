"""The one JSON parser for request bodies: RFC 8259 text whose strings are Unicode text.

JSON lets a string spell a lone UTF-16 surrogate (``"\\ud800"``); Python's parser hands it
on as a string no encoder accepts, so it failed wherever it was written or encoded (a
database, a log, a response), after other work was done. RFC 8259 §8.2 leaves such strings'
behaviour unpredictable; here they are refused while parsing, before anything is applied.
"""

from __future__ import annotations

import json
import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


class LoneSurrogate(ValueError):
    """A JSON string holds a UTF-16 surrogate that is not half of a pair."""

    def __init__(self) -> None:
        super().__init__("a JSON string holds a lone UTF-16 surrogate (such as \\ud800)")


def loads(data: bytes | str) -> Any:
    """``json.loads``, refusing lone surrogates (:class:`LoneSurrogate`, a ``ValueError``)."""
    value = json.loads(data)
    if _may_spell_surrogate(data) and _holds_surrogate(value):
        raise LoneSurrogate
    return value


def _may_spell_surrogate(data: bytes | str) -> bool:
    """Whether the text could hold a surrogate at all (most bodies cannot, and this look at the
    raw text is cheaper than the walk through the parsed value): ASCII text spells one only as
    a ``\\u`` escape. ASCII bytes are read as UTF-8, unless NUL bytes among them make
    ``json.loads`` read them as UTF-16 or UTF-32, where an escape is not those two bytes."""
    if isinstance(data, str):
        return not data.isascii() or "\\u" in data
    return not data.isascii() or b"\\u" in data or b"\x00" in data


def _holds_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
