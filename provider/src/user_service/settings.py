"""Service settings from the environment (``USER_SERVICE_*``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the service listens."""

    model_config = SettingsConfigDict(env_prefix="USER_SERVICE_")

    host: str = "127.0.0.1"
    port: int = 8000
    version: str = "dev"


@lru_cache
def get_settings() -> Settings:
    """The process's settings; ``get_settings.cache_clear()`` re-reads the environment."""
    return Settings()
