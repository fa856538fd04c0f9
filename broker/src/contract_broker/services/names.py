"""Validation of the names clients send (pacticipants, versions, branches, tags, environments)."""

from __future__ import annotations

from contract_broker.errors import Invalid

__all__ = ["MAX_NAME", "check_name"]

MAX_NAME = 255


def check_name(field: str, value: object, *, allow_spaces: bool = True) -> str:
    """``value`` if it is a usable name, else ``Invalid`` saying why."""
    if not isinstance(value, str):
        raise Invalid.field(field, f"must be a string, not {type(value).__name__}")
    if not value.strip():
        raise Invalid.field(field, "cannot be blank")
    if "\n" in value or "\r" in value:
        raise Invalid.field(field, "cannot contain a new line")
    if len(value) > MAX_NAME:
        raise Invalid.field(field, f"cannot be longer than {MAX_NAME} characters")
    if not allow_spaces and any(c.isspace() for c in value):
        raise Invalid.field(field, "cannot contain spaces")
    if "\x00" in value:
        raise Invalid.field(field, "cannot contain a NUL character")
    return value
