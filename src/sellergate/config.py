"""Settings: the one configuration object, read from ``SELLERGATE_*`` variables once.

Every variable is documented in ``docs/configuration.md``. Build a :class:`Settings` with
:func:`load_settings`, which turns a bad value into :class:`ConfigError` with a one-line message,
and pass it down; nothing in the package reads the environment on its own.
"""

from __future__ import annotations

import enum
import ipaddress
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sellergate.durations import parse_duration


class Environment(enum.StrEnum):
    STAGING = "staging"
    PRODUCTION = "production"


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
    login_max_failures: int = 5
    login_lockout_seconds: int = 300
    log_level: str = "info"
    redis_url: str = ""
    trusted_proxies: str = ""

    @field_validator(
        "secure_link_ttl",
        "access_token_ttl",
        "refresh_token_ttl",
        "authorization_code_ttl",
        "refresh_reuse_window",
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
        if value and not value.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("must be sqlite:///PATH or postgresql://...")
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

    @property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """Peers whose ``X-Forwarded-For`` is believed; none by default."""
        return tuple(
            ipaddress.ip_network(item, strict=False)
            for item in self.trusted_proxies.replace(",", " ").split()
        )

    @field_validator("max_body_bytes")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be positive")
        return value

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
        return url

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
        """Key for signed session cookies; in staging a per-data-dir key is made on demand."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            import secrets

            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


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
        shown = f" (got {value!r})" if isinstance(value, str | int) else ""
        raise ConfigError(f"{_NAMES.get(str(loc), loc)}: {message}{shown}") from None
