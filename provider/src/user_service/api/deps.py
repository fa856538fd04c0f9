"""FastAPI dependencies: the repository is injected, so tests and provider states swap data in."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from user_service.repository import UserRepository


def get_repository(request: Request) -> UserRepository:
    """The repository the app was built with."""
    repository: UserRepository = request.app.state.repository
    return repository


RepositoryDep = Annotated[UserRepository, Depends(get_repository)]
