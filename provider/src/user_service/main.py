"""The app factory."""

from __future__ import annotations

from fastapi import FastAPI

from user_service.api.routes import health, users
from user_service.repository import InMemoryUserRepository, UserRepository

__all__ = ["create_app"]


def create_app(repository: UserRepository | None = None) -> FastAPI:
    """Build the app around ``repository`` (a fresh seeded in-memory one by default)."""
    app = FastAPI(title="user-service")
    repo: UserRepository = repository if repository is not None else InMemoryUserRepository()
    app.state.repository = repo
    app.include_router(users.router)
    app.include_router(health.router)
    return app
