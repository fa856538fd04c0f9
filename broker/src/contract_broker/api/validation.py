"""Validate request bodies with pydantic; failures become 400 ``{"errors": {field: [...]}}``."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from contract_broker.errors import Invalid

__all__ = ["errors_from", "validate"]

M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], body: Any) -> M:
    """``body`` as ``model``, or ``Invalid`` naming each bad field."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise Invalid(errors_from(exc)) from exc


def errors_from(exc: ValidationError) -> dict[str, list[str]]:
    """pydantic's errors as ``{"a.b": ["message"]}``."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False):
        location = ".".join(str(part) for part in error["loc"] if part not in {"body"})
        message = error["msg"]
        if message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        errors.setdefault(location or "body", []).append(message)
    return errors
