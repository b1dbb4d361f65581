"""Configuration from the environment (and an optional env file), with the seed's names."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, cast

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from pm.core.webhooks import DEFAULT_SCHEDULE


class Settings(BaseSettings):
    """Every setting of the server; the environment variable is the upper-case field name."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    server_host: str = "0.0.0.0"  # noqa: S104 - a server is meant to be reachable
    server_port: int = Field(3000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=256)
    broadcast_url: str | None = None
    db_path: Path = Path("./data")
    # Unset: SQLite files under DB_PATH. postgresql://user@host:port/db: a schema per tenant.
    database_url: SecretStr | None = None
    database_pool_size: int = Field(10, ge=1, le=1000)
    database_connect_timeout: float = Field(2.0, gt=0, le=60)
    database_timeout: float = Field(5.0, gt=0, le=300)

    jwt_secret: SecretStr | None = None
    jwt_algorithm: Literal[
        "HS256",
        "HS384",
        "HS512",
        "RS256",
        "RS384",
        "RS512",
        "ES256",
        "ES384",
        "ES512",
        "PS256",
        "PS384",
        "PS512",
        "EdDSA",
    ] = "HS256"
    jwt_public_key: str | None = None
    jwt_private_key: SecretStr | None = None
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    jwt_roles_claim: str = Field("roles", min_length=1)
    tenant_admin_role: str = Field("tenant_admin", min_length=1)
    jwt_expiration_hours: float = Field(24, gt=0, le=24 * 366)

    cors_origins: Annotated[list[str], NoDecode] = []
    log_level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    log_format: Literal["json", "text"] = "json"
    otel_enabled: bool = False
    # GET /metrics (Prometheus); its bearer token (unset: only loopback clients may read it).
    metrics_enabled: bool = True
    metrics_token: SecretStr | None = Field(None, min_length=16)

    tenant_cache_size: int = Field(256, ge=1, le=100_000)
    tenant_auto_create: bool = True
    sqlite_busy_timeout: float = Field(5.0, ge=0, le=300)
    sqlite_synchronous: Literal["NORMAL", "FULL", "EXTRA"] = "NORMAL"
    max_body_bytes: int = Field(1_048_576, ge=1024)
    import_max_bytes: int = Field(256 * 1_048_576, ge=1024)
    idempotency_ttl_hours: int = Field(24, ge=1, le=24 * 30)
    event_retention_hours: int = Field(168, ge=1, le=24 * 366)
    http_header_timeout: float = Field(10, gt=0, le=300)
    http_keep_alive_timeout: int = Field(5, ge=1, le=300)
    rate_limit_user_per_second: float = Field(100, ge=0)
    rate_limit_user_burst: int = Field(200, ge=1)
    rate_limit_tenant_per_second: float = Field(1000, ge=0)
    rate_limit_tenant_burst: int = Field(2000, ge=1)

    ws_max_frame_bytes: int = Field(65_536, ge=1024, le=16 * 1_048_576)
    ws_max_subscriptions: int = Field(1000, ge=1)
    ws_max_connections_per_user: int = Field(20, ge=1)
    ws_max_connections_per_tenant: int = Field(2000, ge=1)
    ws_rate_per_second: float = Field(50, gt=0)
    ws_rate_burst: int = Field(100, ge=1)
    ws_send_queue: int = Field(1000, ge=10)
    ws_max_replay: int = Field(10_000, ge=1)
    ws_ping_interval: float = Field(20, gt=0)
    ws_ping_timeout: float = Field(20, gt=0)

    mcp_read_only: bool = False

    webhook_timeout: float = Field(15, gt=0, le=300)
    webhook_retry_schedule: Annotated[tuple[int, ...], NoDecode] = DEFAULT_SCHEDULE
    webhook_disable_after_hours: float = Field(120, gt=0, le=24 * 366)
    webhook_allow_private_targets: bool = False
    webhook_concurrency: int = Field(16, ge=1, le=1000)
    webhook_poll_interval: float = Field(1.0, gt=0, le=60)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [o.strip().rstrip("/") for o in value.split(",") if o.strip()]
        return value

    @field_validator("webhook_retry_schedule", mode="before")
    @classmethod
    def _split_schedule(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not parts or not all(p.isdigit() and 0 < int(p) <= 7 * 86400 for p in parts):
                raise ValueError("comma-separated seconds between 1 and 604800, e.g. 5,300,1800")
            if len(parts) > 20:
                raise ValueError("at most 20 retries")
            return tuple(int(p) for p in parts)
        return value

    @field_validator("database_url", mode="before")
    @classmethod
    def _postgres_url(cls, value: object) -> object:
        if value is None or value == "":
            return None
        if isinstance(value, str) and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql://user@host:port/database URL")
        return value

    @field_validator("broadcast_url", mode="before")
    @classmethod
    def _broadcast_scheme(cls, value: object) -> object:
        if value == "":
            return None
        if isinstance(value, str) and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a Redis URL: redis://host:port/db (or rediss://, unix://)")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_level(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("sqlite_synchronous", mode="before")
    @classmethod
    def _upper_sync(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class SettingsError(Exception):
    """Settings that cannot start a server; the message names each bad variable."""


def load_settings(env_file: Path | None = None, **overrides: object) -> Settings:
    """Read settings from the environment (and `env_file`), naming any bad variable."""
    if env_file is not None and not env_file.is_file():
        raise SettingsError(f"env file {env_file} does not exist")
    try:
        factory: Any = Settings  # _env_file is a pydantic-settings init argument
        return cast(Settings, factory(_env_file=env_file, **overrides))
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = "_".join(str(p) for p in err["loc"]).upper() or "settings"
            lines.append(f"{name}: {err['msg']} (got {err.get('input')!r})")
        raise SettingsError("invalid configuration:\n  " + "\n  ".join(lines)) from exc
