"""The client's exception tree: every failure of the user service maps to one of these."""

from __future__ import annotations

__all__ = [
    "MalformedResponse",
    "UserClientError",
    "UserNotFound",
    "UserServiceTimeout",
    "UserServiceUnavailable",
]


class UserClientError(Exception):
    """Base class: anything that went wrong while fetching a user."""


class UserNotFound(UserClientError):
    """The user service answered 404 for this id."""

    def __init__(self, user_id: int) -> None:
        super().__init__(f"user {user_id} does not exist in the user service")
        self.user_id = user_id


class UserServiceUnavailable(UserClientError):
    """The user service could not be reached or answered with an unexpected status (e.g. 5xx)."""


class UserServiceTimeout(UserServiceUnavailable):
    """The user service did not answer within the client's timeout."""


class MalformedResponse(UserClientError):
    """The user service answered 200 with a body that is not the user billing expects."""
