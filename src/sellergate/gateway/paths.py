"""One canonical spelling of a request path, or a refusal: what the routes are matched against.

The gateway and the upstream must agree on which resource a request names, or a spelling that
the gateway reads one way and the upstream another reaches a route it should not. So the path
is normalised as RFC 3986 §6.2.2 describes (percent-decoding once, §2.1; dot segments resolved,
§5.2.4) plus what servers commonly do (empty segments from ``//`` and a trailing slash are
dropped), and anything that servers read differently is refused instead of guessed at:

- a percent-encoded ``/``, ``\\`` or ``%`` (an encoded slash is a separator to some servers and
  data to others; a ``%`` left after one decoding is double encoding, which some decode again);
- a dot segment spelled with percent-encoding (``%2e%2e``): some servers resolve it, others not;
- a ``\\`` (a separator on some servers), a ``;`` (path parameters, which some servers strip
  before routing, ``..;/``), a ``#``, control characters (NUL included), spaces and raw
  non-ASCII bytes, malformed percent-encoding, and bytes that do not decode as UTF-8;
- a ``..`` that climbs above the root.

The query string is not part of the path; routes never look at it.
"""

from __future__ import annotations

import re

# RFC 9110 §5.6.2 token characters: what a method name may be made of.
_METHOD = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
# Bytes a path may carry as they are: printable ASCII without the ones refused below.
_REFUSED_RAW = re.compile(r"[^\x21-\x7e]|[\\;#]")
_REFUSED_DECODED = frozenset({"/", "\\", "%", ";", "#"})
MAX_PATH = 4096


class AmbiguousPath(ValueError):
    """A path that servers may read in more than one way; the message says why (safe to show)."""


def normalise_method(method: str) -> str:
    """The method in upper case; methods are case-sensitive (RFC 9110 §9.1), but a gateway
    that lower-cases one must not slip past a route that names it in upper case."""
    if not _METHOD.match(method):
        raise AmbiguousPath("the original method is not a valid HTTP method")
    return method.upper()


def split_target(target: str) -> tuple[str, str]:
    """An origin-form request target (RFC 9112 §3.2.1) into its path and query."""
    if not target.startswith("/"):
        raise AmbiguousPath("the original URI must be a path starting with '/'")
    if target.startswith("//"):
        # "//host/..." is a network-path reference (RFC 3986 §4.2) to some parsers.
        raise AmbiguousPath("the path starts with '//'")
    path, _, query = target.partition("?")
    return path, query


def normalise_path(path: str) -> str:
    """The canonical form of ``path`` (no query): ``/`` and decoded segments joined by ``/``;
    raises :class:`AmbiguousPath`."""
    if len(path) > MAX_PATH:
        raise AmbiguousPath("the path is too long")
    if not path.startswith("/"):
        raise AmbiguousPath("the path must start with '/'")
    refused = _REFUSED_RAW.search(path)
    if refused is not None:
        raise AmbiguousPath(f"the path holds a character that is refused ({refused.group()!r})")
    resolved: list[str] = []
    for raw in path.split("/"):
        segment = _decode(raw)
        if segment in ("", "."):
            if raw not in ("", "."):
                raise AmbiguousPath("a dot segment is percent-encoded")
            continue
        if segment == "..":
            if raw != "..":
                raise AmbiguousPath("a dot segment is percent-encoded")
            if not resolved:
                raise AmbiguousPath("'..' climbs above the root")
            resolved.pop()
            continue
        resolved.append(segment)
    return "/" + "/".join(resolved)


def _decode(raw: str) -> str:
    """One segment, percent-decoded once (RFC 3986 §2.1)."""
    if "%" not in raw:
        return raw
    if raw.count("%") != len(_ESCAPE.findall(raw)):
        raise AmbiguousPath("the path holds malformed percent-encoding")
    data = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), raw).encode("latin-1")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise AmbiguousPath("the path does not decode as UTF-8") from None
    for char in text:
        if char in _REFUSED_DECODED:
            raise AmbiguousPath(f"the path holds an encoded {char!r}")
        if char < " " or char == "\x7f":
            raise AmbiguousPath("the path holds an encoded control character")
    return text
