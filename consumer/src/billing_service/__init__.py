"""billing-service: what billing needs from the user service, and a client that fetches it."""

from __future__ import annotations

from billing_service.errors import (
    MalformedResponse,
    UserClientError,
    UserNotFound,
    UserServiceTimeout,
    UserServiceUnavailable,
)
from billing_service.models import User
from billing_service.user_client import UserClient

__all__ = [
    "MalformedResponse",
    "User",
    "UserClient",
    "UserClientError",
    "UserNotFound",
    "UserServiceTimeout",
    "UserServiceUnavailable",
]
