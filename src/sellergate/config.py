"""Settings: the one configuration object, read from ``SELLERGATE_*`` variables once.

Every variable is documented in ``docs/configuration.md``. Build a :class:`Settings` with
:func:`load_settings`, which turns a bad value into :class:`ConfigError` with a one-line message,
and pass it down; nothing in the package reads the environment on its own.
"""

from __future__ import annotations

import enum
import ipaddress
import os
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sellergate.durations import parse_duration
from sellergate.scanning_keys import scanning_keys


class Environment(enum.StrEnum):
    STAGING = "staging"
    PRODUCTION = "production"


class RateLimitStrategy(enum.StrEnum):
    FIXED_WINDOW = "fixed-window"
    MOVING_WINDOW = "moving-window"


class LogFormat(enum.StrEnum):
    JSON = "json"
    TEXT = "text"


class Provisioning(enum.StrEnum):
    AUTO = "auto"  # a seller is created at an upstream user's first sign-in
    LINKED = "linked"  # only sellers linked beforehand (``sellers link``) may sign in


# The database URLs accepted: the plain forms, and SQLAlchemy's spellings of the drivers used.
DATABASE_SCHEMES = (
    "sqlite:///",
    "sqlite+pysqlite:///",
    "postgresql://",
    "postgres://",
    "postgresql+psycopg://",
)


class ConfigError(Exception):
    """A configuration value is missing or wrong; the message is one line for the operator."""


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "sellergate"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SELLERGATE_", extra="ignore", frozen=True)

    env: Environment = Environment.STAGING
    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str = ""
    public_url: str = "http://127.0.0.1:8000"
    secret_key: str = ""
    secure_link_ttl: timedelta = timedelta(hours=1)
    access_token_ttl: timedelta = timedelta(hours=1)
    refresh_token_ttl: timedelta = timedelta(days=365)
    authorization_code_ttl: timedelta = timedelta(minutes=10)
    refresh_reuse_window: timedelta = timedelta(seconds=30)
    last_used_flush_seconds: float = 30.0
    graphiql: bool | None = None
    graphql_introspection: bool | None = None
    max_body_bytes: int = 1_000_000
    graphql_max_cost: int = 20_000
    login_max_failures: int = 5
    login_lockout_seconds: int = 300
    login_max_per_address: int = 30
    session_idle: timedelta = timedelta(hours=2)
    session_lifetime: timedelta = timedelta(hours=12)
    audit_retention: timedelta = timedelta(days=365)
    secret_scanning_keys: str = ""
    log_level: str = "info"
    redis_url: str = ""
    trusted_proxies: str = ""
    # Rate limits (docs/configuration.md): "N/second|minute|hour|day", or "off".
    rate_limit_token: str = "1200/minute"  # noqa: S105 (a budget, not a secret)
    rate_limit_app: str = "12000/minute"
    rate_limit_client: str = "600/minute"
    rate_limit_address: str = "300/minute"
    rate_limit_strategy: RateLimitStrategy = RateLimitStrategy.FIXED_WINDOW
    rate_limit_fail_open: bool = True
    # Pruning of spent and expired rows (docs/deployment.md).
    prune_interval: timedelta = timedelta(hours=1)
    prune_retention: timedelta = timedelta(days=7)
    prune_personal_token_retention: timedelta = timedelta(days=30)
    prune_spent_refresh_after: timedelta = timedelta(days=365)
    prune_batch_size: int = 1000
    # Operations.
    log_format: LogFormat = LogFormat.JSON
    access_log: bool = True
    # Concurrent bearer lookups share one statement on a networked database (web.lookups).
    coalesce_lookups: bool = True
    # Database calls a worker process runs at once in its threads (web.dbcall), 1-16.
    database_threads: int = Field(4, ge=1, le=16)
    shutdown_timeout_seconds: int = 30
    # The gateway decision endpoint's routes file (docs/gateway.md); empty: it refuses all.
    gateway_routes: str = ""
    # Sign-in through the marketplace's OpenID Connect provider (docs/identity.md).
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scopes: str = "openid profile email"
    oidc_display_name: str = ""
    oidc_username_claim: str = "preferred_username"
    oidc_provisioning: Provisioning = Provisioning.AUTO
    oidc_timeout_seconds: float = 5.0
    password_login: bool = True
    # RFC 9449 §8, §9: DPoP server nonces (docs/oauth.md); RFC 9126 §5: PAR for every app.
    dpop_nonce: bool = False
    require_par: bool = False

    @field_validator(
        "secure_link_ttl",
        "access_token_ttl",
        "refresh_token_ttl",
        "authorization_code_ttl",
        "refresh_reuse_window",
        "session_idle",
        "session_lifetime",
        "audit_retention",
        "prune_interval",
        "prune_retention",
        "prune_personal_token_retention",
        "prune_spent_refresh_after",
        mode="before",
    )
    @classmethod
    def _duration(cls, value: object) -> object:
        return parse_duration(value) if isinstance(value, str) else value

    @field_validator("refresh_reuse_window")
    @classmethod
    def _reuse_window(cls, value: timedelta) -> timedelta:
        if value < timedelta(0) or value > timedelta(minutes=10):
            raise ValueError("must be between 0s and 10m")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value and not value.startswith(DATABASE_SCHEMES):
            raise ValueError(
                "must be sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DB (also written "
                "postgres://, postgresql+psycopg:// or sqlite+pysqlite:///)"
            )
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be redis://host:port/db, rediss://... or unix://PATH")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies(cls, value: str) -> str:
        for item in value.replace(",", " ").split():
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return value

    @field_validator("oidc_issuer")
    @classmethod
    def _oidc_issuer(cls, value: str) -> str:
        if value and (not value.startswith(("http://", "https://")) or "?" in value):
            raise ValueError("must be the provider's https:// issuer URL")
        return value

    @field_validator("oidc_scopes")
    @classmethod
    def _oidc_scopes(cls, value: str) -> str:
        if "openid" not in value.split():
            raise ValueError("must include openid")
        return " ".join(value.split())

    @field_validator("oidc_username_claim")
    @classmethod
    def _oidc_username_claim(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", value):
            raise ValueError("must be a claim name such as preferred_username")
        return value

    @field_validator("oidc_timeout_seconds")
    @classmethod
    def _oidc_timeout(cls, value: float) -> float:
        if not 0 < value <= 60:
            raise ValueError("must be between 0 and 60 seconds")
        return value

    @model_validator(mode="after")
    def _sign_in_methods(self) -> Settings:
        if self.oidc_issuer and not (self.oidc_client_id and self.oidc_client_secret):
            raise ValueError(
                "SELLERGATE_OIDC_CLIENT_ID and SELLERGATE_OIDC_CLIENT_SECRET must be set "
                "with SELLERGATE_OIDC_ISSUER"
            )
        if not self.password_login and not self.oidc_issuer:
            raise ValueError(
                "SELLERGATE_PASSWORD_LOGIN=false needs SELLERGATE_OIDC_ISSUER: "
                "sellers could not sign in at all"
            )
        if self.production and self.oidc_issuer.startswith("http://"):
            raise ValueError("SELLERGATE_OIDC_ISSUER must be https:// in production")
        return self

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer)

    @property
    def oidc_button_name(self) -> str:
        """The words after "Sign in with": the display name, else the issuer's host."""
        return self.oidc_display_name or self.oidc_issuer.split("://", 1)[-1].split("/", 1)[0]

    @property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """Peers whose ``X-Forwarded-For`` is believed; none by default."""
        return tuple(
            ipaddress.ip_network(item, strict=False)
            for item in self.trusted_proxies.replace(",", " ").split()
        )

    @field_validator(
        "rate_limit_token", "rate_limit_app", "rate_limit_client", "rate_limit_address"
    )
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        if value.strip().lower() == "off":
            return "off"
        from limits import parse  # the notation is the limits library's own

        try:
            parse(value)
        except ValueError:
            raise ValueError("must be like 600/minute (second, minute, hour, day) or off") from None
        return value.strip()

    @field_validator("gateway_routes")
    @classmethod
    def _gateway_routes(cls, value: str) -> str:
        if value:
            from sellergate.gateway.routes import RoutesFileError, load_routes

            try:
                load_routes(value)
            except RoutesFileError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator(
        "max_body_bytes",
        "graphql_max_cost",
        "login_max_failures",
        "login_lockout_seconds",
        "login_max_per_address",
        "prune_batch_size",
        "shutdown_timeout_seconds",
    )
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be positive")
        return value

    @field_validator("session_idle", "session_lifetime", "audit_retention")
    @classmethod
    def _positive_duration(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be a positive duration")
        return value

    @field_validator("secret_scanning_keys")
    @classmethod
    def _secret_scanning_keys(cls, value: str) -> str:
        scanning_keys(value)
        return value

    @property
    def secret_scanning_public_keys(self) -> dict[str, str]:
        """Key identifier -> PEM public key of the leak reporters we believe (none by default)."""
        return scanning_keys(self.secret_scanning_keys)

    @model_validator(mode="after")
    def _production_is_safe(self) -> Settings:
        if self.env is Environment.PRODUCTION:
            if not self.public_url.startswith("https://"):
                raise ValueError("SELLERGATE_PUBLIC_URL must be https:// in production")
            if len(self.secret_key) < 32:
                raise ValueError("SELLERGATE_SECRET_KEY must be set (32+ characters) in production")
        return self

    @property
    def production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with the driver this application uses."""
        url = self.database_url or f"sqlite:///{self.data_dir / 'sellergate.db'}"
        for scheme in ("postgresql://", "postgres://"):
            if url.startswith(scheme):
                return "postgresql+psycopg://" + url[len(scheme) :]
        return url.replace("sqlite+pysqlite:///", "sqlite:///", 1)

    @property
    def graphiql_enabled(self) -> bool:
        return (not self.production) if self.graphiql is None else self.graphiql

    @property
    def introspection_enabled(self) -> bool:
        if self.graphql_introspection is None:
            return not self.production
        return self.graphql_introspection

    @property
    def session_secret(self) -> str:
        """Key that signs session cookies; in staging a per-data-dir key is made on demand
        (created at most once: workers starting together all read the one that won)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            import secrets

            self.data_dir.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w") as file:
                    file.write(secrets.token_urlsafe(48))
        for _ in range(100):  # another process may have created it and not written it yet
            key = path.read_text().strip()
            if key:
                return key
            time.sleep(0.01)
        raise ConfigError(f"{path} is empty: delete it, or set SELLERGATE_SECRET_KEY")


# Settings whose value is never repeated in an error message.
_SECRET_FIELDS = {"secret_key", "oidc_client_secret"}
_URL_CREDENTIALS = re.compile(r"(?<=://)([^/@:\s]*):[^/@\s]*@")


def mask_credentials(value: str) -> str:
    """``repr(value)`` with the password of any ``scheme://user:password@host`` replaced."""
    return _URL_CREDENTIALS.sub(r"\1:***@", repr(value))


_NAMES = {name: f"SELLERGATE_{name.upper()}" for name in Settings.model_fields}


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment (``overrides`` win) or raise :class:`ConfigError`."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = first["loc"][0] if first["loc"] else ""
        message = str(first["msg"]).removeprefix("Value error, ")
        if not loc:
            raise ConfigError(message) from None
        value = first.get("input")
        shown = ""
        if isinstance(value, str | int) and str(loc) not in _SECRET_FIELDS:
            # (``!r`` inside the conditional would apply to the masked repr too: quoted twice.)
            masked = mask_credentials(value) if isinstance(value, str) else repr(value)
            shown = f" (got {masked})"
        raise ConfigError(f"{_NAMES.get(str(loc), loc)}: {message}{shown}") from None
