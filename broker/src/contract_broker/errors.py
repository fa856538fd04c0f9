"""The broker's domain errors. Services raise them; the HTTP layer maps them to 4xx bodies."""

from __future__ import annotations

from typing import Any

__all__ = [
    "BodyTooLarge",
    "BrokerError",
    "Conflict",
    "Invalid",
    "InvalidQuery",
    "MalformedJson",
    "NotFound",
    "UnsupportedMediaType",
]


class BrokerError(Exception):
    """Base class of everything a client can cause."""


class NotFound(BrokerError):
    """The resource does not exist (404 ``{"error": ...}``)."""


class Invalid(BrokerError):
    """The request is not valid (400 ``{"errors": {field: [messages]}}``)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(str(errors))
        self.errors = errors

    @classmethod
    def field(cls, name: str, message: str) -> Invalid:
        return cls({name: [message]})


class InvalidQuery(BrokerError):
    """A matrix query the broker cannot answer (400 ``{"errors": [messages]}``).

    The Pact Broker lists these messages without naming fields, so they are not ``Invalid``.
    """

    def __init__(self, errors: list[str]) -> None:
        super().__init__(str(errors))
        self.errors = errors


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


class MalformedJson(BrokerError):
    """The request body is not valid JSON (400 ``{"error": ...}``); the message says why."""


class UnsupportedMediaType(BrokerError):
    """The request body is not JSON (415); the message is the content type it has."""


class BodyTooLarge(BrokerError):
    """The request body is over the configured limit (413); ``limit`` is that limit in bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__(str(limit))
        self.limit = limit
