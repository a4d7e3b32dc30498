"""What the shop's reads run on: the request's connection, or an ORM session's.

A read-only GraphQL request holds one connection and no ORM session (the shop's reads are Core
statements); the writes, the command line and the tests hold a session, whose connection the
reads then use, inside its transaction.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.orm import Session

Reads = Session | Connection


def connection_of(reads: Reads) -> Connection:
    return reads.connection() if isinstance(reads, Session) else reads
