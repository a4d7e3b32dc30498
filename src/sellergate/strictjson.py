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
    if _holds_surrogate(value):
        raise LoneSurrogate
    return value


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
