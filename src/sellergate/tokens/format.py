"""Token format: ``<prefix><32 random base62><6 base62 of CRC32 over the random part>``.

Like GitHub's tokens, a token names its kind and environment in its prefix and carries a
checksum, so a secret scanner can recognise one and a server can refuse a mistyped one without
touching its database. The random part holds 32 * log2(62) ≈ 190 bits of entropy.
"""

from __future__ import annotations

import enum
import re
import secrets
import zlib
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
RANDOM_LENGTH = 32
CHECKSUM_LENGTH = 6
BODY_LENGTH = RANDOM_LENGTH + CHECKSUM_LENGTH


class TokenKind(enum.StrEnum):
    ACCESS = "wn_access_tk_"
    REFRESH = "wn_refresh_tk_"
    CLIENT_SECRET = "wn_client_secret_"  # noqa: S105 - a prefix, not a secret


STAGING_MARK = "test_"


class MalformedToken(ValueError):
    """The text is not a well-formed token; the message says what is wrong and is safe to show."""


@dataclass(frozen=True, slots=True)
class ParsedToken:
    kind: TokenKind
    staging: bool


def prefix(kind: TokenKind, *, staging: bool) -> str:
    return kind.value + (STAGING_MARK if staging else "")


def base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rest = divmod(number, 62)
        chars.append(ALPHABET[rest])
    return "".join(reversed(chars))


def checksum(random_part: str) -> str:
    return base62(zlib.crc32(random_part.encode("ascii")), CHECKSUM_LENGTH)


def random_base62(length: int) -> str:
    """``length`` uniformly random base62 characters from the OS's CSPRNG.

    Bytes of 248 or more are dropped (248 = 4 * 62), so ``byte % 62`` carries no bias.
    """
    chars: list[str] = []
    while len(chars) < length:
        chars += [ALPHABET[byte % 62] for byte in secrets.token_bytes(length) if byte < 248]
    return "".join(chars[:length])


def generate(kind: TokenKind, *, staging: bool) -> str:
    """A new token of ``kind`` for the staging or production environment."""
    body = random_base62(RANDOM_LENGTH)
    return prefix(kind, staging=staging) + body + checksum(body)


# The whole shape in one match (it runs on every API request, twice). The staging mark cannot
# be mistaken for the start of a body: "_" is not a base62 character.
_SHAPE = re.compile(
    "(" + "|".join(re.escape(kind.value) for kind in TokenKind) + ")"
    f"({re.escape(STAGING_MARK)})?([0-9A-Za-z]{{{RANDOM_LENGTH}}})([0-9A-Za-z]{{{CHECKSUM_LENGTH}}})"
)
_PARSED = {
    (kind.value, staging): ParsedToken(kind, staging)
    for kind in TokenKind
    for staging in (False, True)
}


def parse(token: str) -> ParsedToken:
    """Check a token's shape and checksum offline; raise :class:`MalformedToken` if it is off."""
    match = _SHAPE.fullmatch(token)
    if match is None:
        if not token.startswith(tuple(TokenKind)):
            raise MalformedToken("the token does not start with a known prefix")
        raise MalformedToken("the token has the wrong length or characters")
    kind, staging, random_part, check = match.groups()
    if checksum(random_part) != check:
        raise MalformedToken("the token's checksum does not match (mistyped or truncated?)")
    return _PARSED[kind, staging is not None]


REDACTED = "[redacted]"
# One of our prefixes and whatever base62 text follows it: a whole token, a part of one, or a
# word that merely starts like one (a file named ``wn_access_tk_notes.md``). Redacting a word
# too many is harmless; a secret left in is not.
TOKEN_LIKE = re.compile(
    "(" + "|".join(re.escape(kind.value) for kind in TokenKind) + ")"
    f"((?:{STAGING_MARK})?)[0-9A-Za-z]+"
)


def redact_tokens(text: str) -> str:
    """``text`` with anything that could be one of our tokens replaced by :data:`REDACTED`
    (the prefix stays: it says what kind of secret was there)."""
    return TOKEN_LIKE.sub(rf"\1\2{REDACTED}", text)


def last_four(token: str) -> str:
    return token[-4:]
