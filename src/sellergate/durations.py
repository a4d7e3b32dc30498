"""Human durations: ``90s``, ``15m``, ``24h``, ``30d``, ``2w``, or plain seconds."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PATTERN = re.compile(r"^\s*(\d{1,9})\s*([smhdw]?)\s*$")


def parse_duration(text: str) -> timedelta:
    """Parse ``text`` into a timedelta; raise ``ValueError`` with a readable message."""
    match = _PATTERN.match(text.lower())
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 15m, 24h, 30d, 2w)")
    number, unit = match.groups()
    return timedelta(seconds=int(number) * _UNITS[unit or "s"])
