"""``GET /users/{id}``."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from user_service.api.deps import RepositoryDep
from user_service.models import NotFound, User

router = APIRouter(prefix="/users", tags=["users"])


@router.get(
    "/{user_id}",
    responses={404: {"model": NotFound, "description": "No user with this id"}},
)
def get_user(user_id: int, repository: RepositoryDep) -> User:
    """The user with ``user_id``; 404 when unknown, 422 when the id is not an integer."""
    user = repository.get(user_id)
    if user is None:
        raise HTTPException(status_code=404, detail=f"User {user_id} not found")
    return user
