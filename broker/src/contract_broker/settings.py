"""Broker settings from the environment, with the Pact Broker's names (``PACT_BROKER_*``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["DEFAULT_DATABASE_DIR", "Settings", "get_settings"]

DEFAULT_DATABASE_DIR = Path(".broker")

CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    """Everything the broker reads from ``PACT_BROKER_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="PACT_BROKER_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_DATABASE_DIR / 'broker.sqlite'}",
        description="SQLAlchemy URL; postgresql+psycopg://... for PostgreSQL",
    )
    database_max_connections: int = Field(
        default=20,
        ge=8,
        description="connections each server process opens at most (requests, and 5 for the "
        "webhook worker); replicas x workers x this must fit PostgreSQL's max_connections",
    )
    database_connection_validation_timeout: float = Field(
        default=10.0,
        description="seconds a pooled PostgreSQL connection may be idle before it is checked "
        "(a round trip) before use; 0 or less checks it before every use",
    )
    public_base_url: str | None = Field(
        default=None,
        description="The URL clients reach the broker at, used in links; default: the request's",
    )
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)

    # Auth: off unless a credential is configured.
    basic_auth_username: str | None = None
    basic_auth_password: SecretStr | None = None
    basic_auth_read_only_username: str | None = None
    basic_auth_read_only_password: SecretStr | None = None
    read_write_tokens: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    read_only_tokens: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    allow_public_read: bool = False
    enable_public_badge_access: bool = False
    public_heartbeat: bool = Field(
        default=True,
        description="the heartbeat and dependencies checks answer without credentials",
    )

    # Behaviour, with the Pact Broker's defaults.
    allow_dangerous_contract_modification: bool = False
    auto_detect_main_branch: bool = True
    main_branch_candidates: CommaList = Field(default_factory=lambda: ["develop", "main", "master"])
    create_deployed_versions_for_tags: bool = True
    use_first_tag_as_branch: bool = True

    # Webhooks.
    webhook_scheme_whitelist: CommaList = Field(default_factory=lambda: ["https"])
    webhook_http_method_whitelist: CommaList = Field(default_factory=lambda: ["POST"])
    webhook_host_whitelist: CommaList = Field(default_factory=list)
    webhook_retry_schedule: CommaList = Field(
        default_factory=lambda: ["10", "60", "120", "300", "600", "1200"],
        description="seconds to wait before each retry (the Pact Broker's schedule)",
    )
    webhook_timeout_seconds: float = 15.0
    webhook_poll_seconds: float = 0.5
    webhook_claim_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="how long a replica's claim on a delivery lasts unless renewed while "
        "sending; a crashed replica's deliveries are retried after it",
    )
    webhook_worker_enabled: bool = True

    # Stopping.
    shutdown_timeout_seconds: float = Field(
        default=10.0,
        ge=1,
        description="after SIGTERM, how long requests in flight may take to finish; then the "
        "webhook worker finishes its deliveries in flight (each within webhook_timeout_seconds)"
        " and hands back its claims",
    )

    @field_validator(
        "main_branch_candidates",
        "webhook_scheme_whitelist",
        "webhook_http_method_whitelist",
        "webhook_host_whitelist",
        "webhook_retry_schedule",
        mode="before",
    )
    @classmethod
    def _split_words(cls, value: object) -> object:
        if isinstance(value, str):
            return [part for part in value.replace(",", " ").split() if part]
        return value

    @field_validator("read_write_tokens", "read_only_tokens", mode="before")
    @classmethod
    def _split_tokens(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def auth_enabled(self) -> bool:
        """True when any credential is configured."""
        return bool(
            self.basic_auth_username
            or self.basic_auth_read_only_username
            or self.read_write_tokens
            or self.read_only_tokens
        )


@lru_cache
def get_settings() -> Settings:
    """The process's settings; ``get_settings.cache_clear()`` re-reads the environment."""
    return Settings()
