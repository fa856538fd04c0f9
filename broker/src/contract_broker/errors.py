"""The broker's domain errors. Services raise them; the HTTP layer maps them to 4xx bodies."""

from __future__ import annotations

from typing import Any

__all__ = ["BrokerError", "Conflict", "Invalid", "NotFound"]


class BrokerError(Exception):
    """Base class of everything a client can cause."""


class NotFound(BrokerError):
    """The resource does not exist (404 ``{"error": ...}``)."""


class Invalid(BrokerError):
    """The request is not valid (400 ``{"errors": ...}``).

    ``errors`` is ``{field: [messages]}`` or, for the matrix, a list of messages.
    """

    def __init__(self, errors: dict[str, list[str]] | list[str]) -> None:
        super().__init__(str(errors))
        self.errors = errors

    @classmethod
    def field(cls, name: str, message: str) -> Invalid:
        return cls({name: [message]})


class Conflict(BrokerError):
    """The request conflicts with what is stored (409), e.g. changed pact content."""

    def __init__(
        self,
        message: str,
        *,
        notices: list[dict[str, str]] | None = None,
        errors: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.notices = notices
        self.errors = errors
