"""Client apps (RFC 6749 §2): registration, secret rotation, disabling and lookup.

A confidential app gets a secret (``wn_client_secret_[test_]``) that is stored only as a SHA-256
hash and handed out only through a one-time secure link; a public app (a native or browser app
that cannot keep a secret) gets none and must use PKCE. Disabling an app marks its row first and
then revokes its families through :func:`sellergate.accounts.families.revoke_families`; every
place that accepts a token also checks the app's row, so the app is refused from the commit on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.orm import Session

from sellergate.accounts.families import revoke_families
from sellergate.accounts.secure_links import IssuedLink, create_link
from sellergate.config import Settings
from sellergate.errors import InvalidInput, NotFound
from sellergate.oauth.records import ClientRecord, Revocation, RevocationReason, is_loopback
from sellergate.scopes import OAUTH_SCOPES, Scope, ScopeError, format_scopes, parse_scopes
from sellergate.storage.models import Client, Grant
from sellergate.storage.prebuilt import Prebuilt, PrebuiltAny, Reads, run_reads
from sellergate.storage.types import utcnow
from sellergate.tokens.format import TokenKind, generate, random_base62
from sellergate.tokens.hashing import token_hash

CLIENT_ID_LENGTH = 24
MAX_NAME = 100
MAX_REDIRECT_URI = 2000
PURPOSE = "client_secret"
DPOP_MODES = ("off", "optional", "required")


@dataclass(frozen=True, slots=True)
class RegisteredClient:
    client_id: str
    link: IssuedLink | None  # None for a public client: it has no secret


def validate_redirect_uri(uri: str, *, production: bool) -> str:
    """An absolute URI without a fragment (RFC 6749 §3.1.2); ``http`` only for loopback."""
    if not uri or len(uri) > MAX_REDIRECT_URI or any(ch.isspace() for ch in uri):
        raise InvalidInput(
            f"redirect URI {uri!r} is empty, too long or has spaces", field="redirect_uri"
        )
    try:
        parts = urlsplit(uri)
    except ValueError:
        raise InvalidInput(f"redirect URI {uri!r} is not a URI", field="redirect_uri") from None
    if not parts.scheme or not parts.netloc:
        raise InvalidInput(f"redirect URI {uri!r} must be absolute", field="redirect_uri")
    if parts.fragment or uri.endswith("#"):
        raise InvalidInput(
            f"redirect URI {uri!r} must not have a fragment (RFC 6749 §3.1.2)",
            field="redirect_uri",
        )
    if parts.scheme == "http":
        if production or not is_loopback(parts.hostname):
            where = "in production" if production else "except for loopback addresses"
            raise InvalidInput(f"redirect URI {uri!r} must use https {where}", field="redirect_uri")
    elif parts.scheme != "https":
        raise InvalidInput(f"redirect URI {uri!r} must use https", field="redirect_uri")
    return uri


def validate_client_scopes(names: Iterable[str]) -> frozenset[Scope]:
    try:
        scopes = parse_scopes(list(names))
    except ScopeError as exc:
        raise InvalidInput(f"{exc}; choose from {_choices()}", field="scope") from None
    if Scope.FULL_ACCESS in scopes:
        raise InvalidInput(
            "full_access belongs to personal tokens only; apps get specific scopes",
            field="scope",
        )
    if not scopes:
        raise InvalidInput(f"give at least one --scope ({_choices()})", field="scope")
    return scopes


def _choices() -> str:
    return ", ".join(scope.value for scope in Scope if scope in OAUTH_SCOPES)


def register_client(
    session: Session,
    settings: Settings,
    *,
    name: str,
    redirect_uris: Iterable[str],
    scopes: Iterable[str],
    public: bool = False,
    registered_by: str = "",
    dpop_mode: str = "optional",
    require_par: bool = False,
) -> RegisteredClient:
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(f"name must be 1 to {MAX_NAME} characters", field="name")
    uris = list(dict.fromkeys(redirect_uris))
    if not uris:
        raise InvalidInput("give at least one --redirect-uri", field="redirect_uri")
    for uri in uris:
        validate_redirect_uri(uri, production=settings.production)
    allowed = validate_client_scopes(scopes)
    client = Client(
        dpop_mode=validate_dpop_mode(dpop_mode),
        require_par=require_par,
        client_id=random_base62(CLIENT_ID_LENGTH),
        name=name,
        registered_by=registered_by,
        secret_hash=None,
        public=public,
        redirect_uris="\n".join(uris),
        scopes=format_scopes(allowed),
    )
    session.add(client)
    session.flush()
    link = None if public else _new_secret(session, settings, client)
    return RegisteredClient(client.client_id, link)


def _new_secret(session: Session, settings: Settings, client: Client) -> IssuedLink:
    secret = generate(TokenKind.CLIENT_SECRET, staging=not settings.production)
    client.secret_hash = token_hash(secret)
    session.flush()
    return create_link(
        session,
        secret,
        purpose=PURPOSE,
        subject=f"client secret for {client.name} ({client.client_id})",
        ttl=settings.secure_link_ttl,
    )


# Built once: every token, revocation and introspection request looks its client up.
_CLIENT_BY_ID = select(Client).where(Client.client_id == bindparam("client_id"))


def find_client(session: Session, client_id: str) -> Client | None:
    if not client_id or len(client_id) > 64:
        return None
    return session.scalars(_CLIENT_BY_ID, {"client_id": client_id}).one_or_none()


# What the OAuth endpoints read of an app, prebuilt: every token, revocation and introspection
# request starts with it, and an ORM entity costs several times the statement.
_RECORD_COLUMNS = (
    Client.id,
    Client.client_id,
    Client.name,
    Client.public,
    Client.secret_hash,
    Client.redirect_uris,
    Client.scopes,
    Client.disabled_at.is_not(None),
    Client.dpop_mode,
    Client.require_par,
)
_RECORD_BY_ID = Prebuilt(select(*_RECORD_COLUMNS).where(Client.client_id == bindparam("client_id")))
# Several apps at once (coalesced introspection requests).
_RECORDS = PrebuiltAny(select(*_RECORD_COLUMNS), Client.client_id)


def find_client_record(connection: Connection, client_id: str) -> ClientRecord | None:
    """The app ``client_id`` as the OAuth protocol sees it, read on ``connection``."""
    if not client_id or len(client_id) > 64:
        return None
    row = _RECORD_BY_ID.first(connection, {"client_id": client_id})
    return None if row is None else _record(row)


def find_client_records(
    connection: Connection, client_ids: Iterable[str]
) -> dict[str, ClientRecord]:
    """:func:`find_client_record` for several apps with one statement, by ``client_id``."""
    return run_reads(connection, client_records_reads(client_ids))


def client_records_reads(client_ids: Iterable[str]) -> Reads[dict[str, ClientRecord]]:
    """:func:`find_client_records` as :data:`~sellergate.storage.prebuilt.Reads`."""
    wanted = list({c for c in client_ids if c and len(c) <= 64})
    if not wanted:
        return {}
    records = (_record(row) for row in (yield _RECORDS.read(wanted)))
    return {record.client_id: record for record in records}


def _record(row: tuple[Any, ...]) -> ClientRecord:
    pk, client_id, name, public, secret_hash, uris, scopes, disabled, dpop_mode, require_par = row
    return ClientRecord(
        pk=pk,
        client_id=client_id,
        name=name,
        public=public,
        secret_hash=secret_hash,
        redirect_uris=_split_uris(uris),
        scopes=scopes,
        disabled=disabled,
        dpop_mode=dpop_mode,
        require_par=require_par,
    )


def get_client(session: Session, client_id: str) -> Client:
    client = find_client(session, client_id)
    if client is None:
        raise NotFound(f"no client with id {client_id!r}")
    return client


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """A registered app as the platform team sees it: never its secret."""

    client_id: str
    name: str
    registered_by: str
    public: bool
    redirect_uris: list[str]
    scopes: list[str]
    created_at: datetime
    disabled_at: datetime | None
    dpop_mode: str = "optional"
    require_par: bool = False


def _info(row: Client) -> ClientInfo:
    return ClientInfo(
        row.client_id,
        row.name,
        row.registered_by,
        row.public,
        redirect_uris(row),
        row.scopes.split(),
        row.created_at,
        row.disabled_at,
        row.dpop_mode,
        row.require_par,
    )


def list_clients(session: Session) -> list[ClientInfo]:
    return [_info(row) for row in session.scalars(select(Client).order_by(Client.id))]


def validate_dpop_mode(mode: str) -> str:
    """RFC 9449 per app: ``off``, ``optional`` or ``required`` (docs/oauth.md)."""
    if mode not in DPOP_MODES:
        raise InvalidInput(f"--dpop must be one of {', '.join(DPOP_MODES)}", field="dpop")
    return mode


def update_client(
    session: Session,
    client_id: str,
    *,
    dpop_mode: str | None = None,
    require_par: bool | None = None,
) -> ClientInfo:
    """Change an app's DPoP mode (RFC 9449) or whether it must push its requests (RFC 9126);
    what is left ``None`` stays. Tokens already bound stay bound."""
    client = get_client(session, client_id)
    if dpop_mode is not None:
        client.dpop_mode = validate_dpop_mode(dpop_mode)
    if require_par is not None:
        client.require_par = require_par
    session.flush()
    return _info(client)


def add_redirect_uri(session: Session, settings: Settings, client_id: str, uri: str) -> None:
    """Register one more redirect URI for an app (exact match, as the others)."""
    validate_redirect_uri(uri, production=settings.production)
    client = get_client(session, client_id)
    known = redirect_uris(client)
    if uri not in known:
        client.redirect_uris = "\n".join([*known, uri])
        session.flush()


def rotate_secret(session: Session, settings: Settings, client_id: str) -> IssuedLink:
    """A new secret through a new secure link; the old secret stops working at once."""
    client = get_client(session, client_id)
    if client.public:
        raise InvalidInput(f"client {client_id} is public: it has no secret to rotate")
    if client.disabled_at is not None:
        raise InvalidInput(f"client {client_id} is disabled")
    return _new_secret(session, settings, client)


@dataclass(frozen=True, slots=True)
class DisabledClient:
    disabled_at: datetime
    revocation: Revocation


def disable_client(session: Session, client_id: str) -> DisabledClient:
    """Refuse the app from now on and revoke its grants and tokens.

    The app row is updated (and so locked) first, then its grants: the lock order of
    :mod:`sellergate.accounts.families`. Disabling again is harmless and sweeps again.
    """
    client = get_client(session, client_id)
    now = utcnow()
    session.execute(
        update(Client)
        .where(Client.id == client.id, Client.disabled_at.is_(None))
        .values(disabled_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(client, ["disabled_at"])
    revocation = revoke_families(
        session, Grant.client_id == client.id, RevocationReason.CLIENT_DISABLED
    )
    assert client.disabled_at is not None
    return DisabledClient(client.disabled_at, revocation)


def redirect_uris(client: Client) -> list[str]:
    return _split_uris(client.redirect_uris)


def _split_uris(column: str) -> list[str]:
    return [uri for uri in column.split("\n") if uri]


def public_client_id(session: Session, client_pk: int) -> str | None:
    """The ``client_id`` an app is known by, from its row id."""
    return session.scalar(select(Client.client_id).where(Client.id == client_pk))
