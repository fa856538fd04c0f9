"""HTTP client for the user service's ``GET /users/{id}``."""

from __future__ import annotations

from typing import Any

import requests

from billing_service.errors import (
    MalformedResponse,
    UserNotFound,
    UserServiceTimeout,
    UserServiceUnavailable,
)
from billing_service.models import User

__all__ = ["UserClient"]

DEFAULT_TIMEOUT_SECONDS = 5.0


class UserClient:
    """Fetches users from the user service.

    ``session`` is any object with the ``requests.Session.get`` signature; tests pass a fake one.
    """

    def __init__(
        self,
        base_url: str,
        *,
        session: requests.Session | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._session = session if session is not None else requests.Session()
        self._timeout = timeout

    def get_user(self, user_id: int) -> User:
        """Return the user with ``user_id``.

        Raises ``UserNotFound`` for an unknown id, ``UserServiceTimeout`` or
        ``UserServiceUnavailable`` when the service cannot answer, and ``MalformedResponse`` when
        it answers with something that is not a user.
        """
        url = f"{self._base_url}/users/{user_id}"
        try:
            response = self._session.get(
                url, headers={"Accept": "application/json"}, timeout=self._timeout
            )
        except requests.Timeout as exc:
            raise UserServiceTimeout(
                f"user service did not answer within {self._timeout:g} s ({url})"
            ) from exc
        except requests.RequestException as exc:
            raise UserServiceUnavailable(f"user service unreachable at {url}: {exc}") from exc

        if response.status_code == 404:
            raise UserNotFound(user_id)
        if response.status_code != 200:
            raise UserServiceUnavailable(f"user service answered {response.status_code} for {url}")
        try:
            body = response.json()
        except ValueError as exc:
            raise MalformedResponse(f"user service sent a body that is not JSON ({url})") from exc
        return _user_from(body, url)


def _user_from(body: Any, url: str) -> User:
    if not isinstance(body, dict):
        raise MalformedResponse(f"expected a JSON object from {url}, got {type(body).__name__}")
    problems = []
    for field, kind in (("id", int), ("name", str), ("email", str)):
        value = body.get(field)
        # bool is an int subclass; an id of `true` is not an id.
        if not isinstance(value, kind) or isinstance(value, bool):
            shown = "missing" if field not in body else f"{type(value).__name__} {value!r}"
            problems.append(f"{field} should be {kind.__name__}, got {shown}")
    if problems:
        raise MalformedResponse(f"unexpected user from {url}: " + "; ".join(problems))
    return User(id=body["id"], name=body["name"], email=body["email"])
