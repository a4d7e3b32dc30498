"""The relational schema. Secrets appear only as SHA-256 hashes (``*_hash``) or ciphertext."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sellergate.storage.types import UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Seller(Base):
    __tablename__ = "sellers"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Client(Base):
    """A third-party app registered for OAuth; ``scopes`` is its maximum."""

    __tablename__ = "clients"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    registered_by: Mapped[str] = mapped_column(String(100), default="")
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    redirect_uris: Mapped[str] = mapped_column(Text)  # newline-separated
    scopes: Mapped[str] = mapped_column(String(255))  # space-separated
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # RFC 9449: off, optional or required (docs/oauth.md); RFC 9126: refuse plain requests.
    dpop_mode: Mapped[str] = mapped_column(String(10), default="optional")
    require_par: Mapped[bool] = mapped_column(Boolean, default=False)


class Grant(Base):
    """One seller's authorization of one app (a "connected app"): the family of its tokens."""

    __tablename__ = "grants"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    scopes: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the family was revoked (disconnected, reuse_detected, client_disabled, ...).
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
    __table_args__ = (Index("ix_grants_seller_client", "seller_id", "client_id"),)


class AccessToken(Base):
    """Personal API tokens (``grant_id`` null) and OAuth access tokens, found by hash."""

    __tablename__ = "access_tokens"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"))
    scopes: Mapped[str] = mapped_column(String(255))
    staging: Mapped[bool] = mapped_column(Boolean)
    label: Mapped[str] = mapped_column(String(100), default="")
    last_four: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Written once, synchronously, by the first API request that carries an OAuth access
    # token (``last_used_at`` is buffered): a lost-response retry of a refresh is refused
    # once the access token it would replace has been used (docs/oauth.md §5).
    first_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_by_id: Mapped[int | None] = mapped_column(Id)
    # RFC 9449 §6: the RFC 7638 thumbprint of the key a DPoP-bound token is bound to.
    jkt: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (
        Index("ix_access_tokens_seller", "seller_id"),
        Index("ix_access_tokens_grant", "grant_id"),
    )


class RefreshToken(Base):
    """An OAuth refresh token; ``used_at`` marks it rotated (spent).

    ``parent_id`` is the token it was rotated from (unique: a token has at most one successor,
    so a family is one chain), and ``access_token_id`` the access token issued with it.
    """

    __tablename__ = "refresh_tokens"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    scopes: Mapped[str] = mapped_column(String(255))
    staging: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("refresh_tokens.id", ondelete="SET NULL"), unique=True
    )
    access_token_id: Mapped[int | None] = mapped_column(
        ForeignKey("access_tokens.id", ondelete="SET NULL")
    )
    # RFC 9449 §5: a public app's refresh token is bound to its DPoP key's thumbprint.
    jkt: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (Index("ix_refresh_tokens_grant", "grant_id"),)


class AuthorizationCode(Base):
    __tablename__ = "authorization_codes"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(String(255))
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("grants.id", ondelete="SET NULL"))
    # RFC 9449 §10: the ``dpop_jkt`` of the authorization request; the exchange must prove it.
    dpop_jkt: Mapped[str | None] = mapped_column(String(64))


class AuthorizationRequest(Base):
    """A validated authorization request shown to a seller on the consent page.

    The consent form carries only a random reference to this row (its hash is the key), and
    the decision claims the row once: a replayed or edited decision finds nothing to claim.
    """

    __tablename__ = "authorization_requests"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    reference_hash: Mapped[str] = mapped_column(String(64), unique=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    query: Mapped[str] = mapped_column(Text)  # the validated request's parameters
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SecureLink(Base):
    """A one-time link to a secret; the secret is AES-GCM ciphertext under a key from the link."""

    __tablename__ = "secure_links"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    link_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(32))  # personal_token | client_secret
    subject: Mapped[str] = mapped_column(String(100))  # what the secret belongs to, for display
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginAttempt(Base):
    """Sign-in attempts counted per key (an account or an address) in a window ending at
    ``expires_at``, opened by the first attempt after the previous window ended.

    ``key`` is a hash, so its length is fixed whatever a client sends; rows past ``expires_at``
    are dead and may be pruned.
    """

    __tablename__ = "login_attempts"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class WebSession(Base):
    """A signed-in seller's browser session; the cookie holds the id, this row only its hash.

    ``expires_at`` is the sooner of the idle deadline and ``ends_at`` (the absolute one), so
    one indexed column says which rows are dead.
    """

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(45), default="")
    flash: Mapped[str | None] = mapped_column(Text)
    # SHA-256 of the upstream provider's session id (``sid``) for a sign-in through it, so a
    # back-channel logout naming that sid ends exactly the sessions it started.
    upstream_sid_hash: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (Index("ix_web_sessions_seller", "seller_id"),)


class SecurityEvent(Base):
    """The append-only security log; ``details`` is a JSON object that never holds a secret."""

    __tablename__ = "security_events"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    client_id: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(45), default="")
    details: Mapped[str] = mapped_column(Text, default="{}")
    __table_args__ = (Index("ix_security_events_seller", "seller_id", "id"),)


# A signed leak report's body is remembered this long, so that a replay of it is refused.
LEAK_REPORT_MEMORY = timedelta(days=30)


class LeakReport(Base):
    """A hash of each accepted leak-report body, remembered to refuse replays."""

    __tablename__ = "leak_reports"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    body_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class SellerIdentity(Base):
    """A seller's account at the upstream OpenID Connect provider: ``(issuer, subject)`` is the
    only thing a sign-in through it is matched on (never an email or a username)."""

    __tablename__ = "seller_identities"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_signin_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    __table_args__ = (
        UniqueConstraint("issuer", "subject", name="uq_seller_identities_issuer_subject"),
        Index("ix_seller_identities_seller", "seller_id"),
    )


class UpstreamSignin(Base):
    """A sign-in started at the upstream provider and not finished yet: its ``state`` (hashed),
    bound to the browser that started it (a hash of that browser's cookie); claimed once."""

    __tablename__ = "upstream_signins"
    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    browser_hash: Mapped[str] = mapped_column(String(64))
    next_url: Mapped[str] = mapped_column(String(2048))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SpentLogoutToken(Base):
    """The ``jti`` (hashed) of each back-channel logout token accepted, kept until the token
    would have expired anyway, so a replay is refused on every worker and node."""

    __tablename__ = "spent_logout_tokens"
    jti_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SpentDPoPProof(Base):
    """A DPoP proof accepted (RFC 9449 §11.1): a hash of its key's thumbprint and ``jti``, kept
    until the proof would be refused as too old anyway, so a replay is refused on every node."""

    __tablename__ = "spent_dpop_proofs"
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class PushedRequest(Base):
    """A pushed authorization request (RFC 9126 §2): the parameters an app posted, found by the
    hash of its ``request_uri``, for that app only, claimed (deleted) by the one authorization
    request that uses it."""

    __tablename__ = "pushed_requests"
    uri_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    query: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
