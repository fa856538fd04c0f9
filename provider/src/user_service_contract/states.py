"""Provider-state handlers: put the data an interaction assumes into the repository.

Handlers never raise: a raising handler makes the verifier retry the state call for about two
minutes. Problems are recorded instead, and the verification report fails naming them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from contract_terms import USER_DOES_NOT_EXIST, USER_EXISTS
from user_service.models import User
from user_service.repository import InMemoryUserRepository, UserRepository

__all__ = ["KNOWN_STATES", "FreshRepository", "ProviderStates"]

KNOWN_STATES: frozenset[str] = frozenset({USER_EXISTS, USER_DOES_NOT_EXIST})


class FreshRepository:
    """The app's repository, replaced by a freshly seeded one before each pact (``reset``).

    Teardowns do not restore what a setup deleted (user 1 after "does not exist"), so without a
    reset a pact's verdict would depend on which pacts the same process replayed before it.
    """

    def __init__(self) -> None:
        self._current = InMemoryUserRepository()

    def reset(self) -> None:
        """Start again from the seeded users."""
        self._current = InMemoryUserRepository()

    def get(self, user_id: int) -> User | None:
        return self._current.get(user_id)

    def put(self, user: User) -> None:
        self._current.put(user)

    def delete(self, user_id: int) -> None:
        self._current.delete(user_id)


class ProviderStates:
    """Applies provider states to ``repository``; callable as pact-python's state handler."""

    def __init__(self, repository: UserRepository) -> None:
        self._repository = repository
        self._lock = threading.Lock()
        self.problems: list[str] = []
        self._handlers: Mapping[str, Callable[[str, dict[str, Any]], None]] = {
            USER_EXISTS: self._user_exists,
            USER_DOES_NOT_EXIST: self._user_does_not_exist,
        }

    def __call__(self, state: str, action: str, parameters: dict[str, Any] | None) -> None:
        """Set up (or tear down) ``state``; record, never raise, anything that goes wrong."""
        if state == "":  # pact's generic setup/teardown hook: nothing to do here
            return
        handler = self._handlers.get(state)
        if handler is None:
            self._record(f"unknown provider state {state!r} (known: {sorted(KNOWN_STATES)})")
            return
        try:
            handler(action, dict(parameters or {}))
        except Exception as exc:
            self._record(f"provider state {state!r} ({action}) failed: {exc!r}")

    def reset(self) -> None:
        """Before a pact: no problems yet, and a freshly seeded repository if it has one."""
        with self._lock:
            self.problems.clear()
        if isinstance(self._repository, FreshRepository):
            self._repository.reset()

    def _record(self, problem: str) -> None:
        with self._lock:
            if problem not in self.problems:
                self.problems.append(problem)

    def _user_exists(self, action: str, parameters: dict[str, Any]) -> None:
        user_id = int(parameters["id"])
        if action == "setup":
            self._repository.put(
                User(id=user_id, name="Ada Lovelace", email=f"user{user_id}@example.com")
            )
        else:
            self._repository.delete(user_id)

    def _user_does_not_exist(self, action: str, parameters: dict[str, Any]) -> None:
        if action == "setup":
            self._repository.delete(int(parameters["id"]))
