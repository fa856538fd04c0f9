"""Where users come from: a repository interface and the in-memory implementation the app ships."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Protocol

from user_service.models import User

__all__ = ["SEED_USERS", "InMemoryUserRepository", "UserRepository"]


class UserRepository(Protocol):
    """What the routes need from storage. Tests and provider states write through ``put``."""

    def get(self, user_id: int) -> User | None: ...

    def put(self, user: User) -> None: ...

    def delete(self, user_id: int) -> None: ...


SEED_USERS: tuple[User, ...] = (
    User(id=1, name="Ada Lovelace", email="ada@example.com"),
    User(id=2, name="Alan Turing", email="alan@example.com"),
)


class InMemoryUserRepository:
    """A thread-safe dict of users (uvicorn serves requests from worker threads)."""

    def __init__(self, users: Iterable[User] = SEED_USERS) -> None:
        self._lock = threading.Lock()
        self._users = {user.id: user for user in users}

    def get(self, user_id: int) -> User | None:
        with self._lock:
            return self._users.get(user_id)

    def put(self, user: User) -> None:
        with self._lock:
            self._users[user.id] = user

    def delete(self, user_id: int) -> None:
        with self._lock:
            self._users.pop(user_id, None)
