"""Reading request bodies with a size limit."""

from __future__ import annotations

from starlette.requests import Request


class BodyTooLarge(Exception):
    pass


async def read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def nesting_exceeds(value: object, limit: int, text: bytes | None = None) -> bool:
    """Whether parsed JSON ``value`` nests lists or objects more than ``limit`` deep. What
    handles the value next recurses, so a deep value would exhaust the stack there.

    ``text`` is the JSON the value was parsed from, if at hand: each list or object opened
    there holds a ``[`` or ``{`` byte in any encoding JSON may come in, so text with no more
    than ``limit`` of them cannot nest deeper, and the value is not walked."""
    if text is not None and text.count(b"[") + text.count(b"{") <= limit:
        return False
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False
