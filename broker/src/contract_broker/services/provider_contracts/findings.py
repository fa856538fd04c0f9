"""Schema failures worded as findings that name the field and the operation.

A failure names the value it is about by JSON path (``$.name``) and says, in words a consumer's
or a provider's developer reads without the schema at hand, which operation's schema refused
it: ``name is not in the response schema of GET /users/{id}``.
"""

from __future__ import annotations

from typing import Any

from jsonschema.exceptions import ValidationError

from contract_broker.services.provider_contracts.operations import Parameter
from contract_broker.services.provider_contracts.results import Mismatch
from contract_broker.services.provider_contracts.schemas import (
    UNCHECKED_PATTERN,
    SchemaProblem,
    SchemaSet,
    UncheckedPattern,
    View,
    json_path,
)

__all__ = ["body_findings", "parameter_findings"]

_MESSAGE_LIMIT = 200


def body_findings(
    schemas: SchemaSet, pointer: str, body: Any, *, side: str, operation: str
) -> list[Mismatch]:
    """How a pact's request or response body fails the operation's schema for it."""
    rule = f"{side}.body.incompatible"
    view: View = side
    try:
        errors = schemas.errors(pointer, body, view)
    except SchemaProblem as exc:
        return [
            Mismatch.of(
                rule, "body", "$", f"the {side} schema of {operation} cannot be used: {exc}"
            )
        ]
    found: dict[Mismatch, None] = {}  # ordered, without repeats, in constant time per finding
    for error in errors:
        if isinstance(error, UncheckedPattern):
            found.setdefault(_unchecked(error, "body", "$", f"the {side} schema of {operation}"))
            continue
        for identifier, description in _explain(error, schemas, view, side, operation):
            found.setdefault(Mismatch.of(rule, "body", identifier, description))
    return list(found)


def parameter_findings(
    schemas: SchemaSet,
    parameter: Parameter,
    values: tuple[str, ...] | None,
    *,
    rule: str,
    what: str,
    operation: str,
) -> list[Mismatch]:
    """A header or query parameter: present when required, and each value valid."""
    attribute = "query" if parameter.location == "query" else "header"
    if values is None:
        if not parameter.required:
            return []
        return [
            Mismatch.of(
                rule,
                attribute,
                parameter.name,
                f"{what} {parameter.name} is required by {operation} but the pact does not send it",
            )
        ]
    if parameter.schema is None:
        return []
    try:
        errors = schemas.parameter_errors(parameter.schema, values)
    except SchemaProblem as exc:
        return [
            Mismatch.of(
                rule,
                attribute,
                parameter.name,
                f"the schema of {what} {parameter.name} in {operation} cannot be used: {exc}",
            )
        ]
    return [
        _unchecked(e, attribute, parameter.name, f"{what} {parameter.name} in {operation}")
        if isinstance(e, UncheckedPattern)
        else Mismatch.of(
            rule,
            attribute,
            parameter.name,
            f"{what} {parameter.name}: {_short(e.message)} (as {operation} defines it)",
        )
        for e in errors
    ]


def _unchecked(error: UncheckedPattern, attribute: str, identifier: str, where: str) -> Mismatch:
    return Mismatch.of(
        UNCHECKED_PATTERN,
        attribute,
        identifier,
        f"the pattern {_short(repr(error.pattern))} in {where} was not checked: the broker runs "
        "patterns with RE2, which has no backreferences or lookarounds",
    )


def _explain(
    error: ValidationError, schemas: SchemaSet, view: View, side: str, operation: str
) -> list[tuple[str, str]]:
    path = list(error.absolute_path)
    where = f"the {side} schema of {operation}"
    if error.validator in ("additionalProperties", "unevaluatedProperties") and isinstance(
        error.instance, dict
    ):
        declared = schemas.declared(error.schema, view)
        if declared is not None:
            # Every name declared: a member of an allOf failed, and says so in its own error.
            return [
                (json_path([*path, k]), f"{_field([*path, k])} is not in {where}")
                for k in error.instance
                if k not in declared
            ]
    if (
        error.validator == "required"
        and isinstance(error.validator_value, list)
        and isinstance(error.instance, dict)
    ):
        missing = [k for k in error.validator_value if k not in error.instance]
        return [
            (
                json_path([*path, k]),
                f"{_field([*path, k])} is required by {where} but the pact's {side} body "
                "does not have it",
            )
            for k in missing
        ]
    subject = _field(path) if path else f"the {side} body"
    return [(json_path(path), f"{subject}: {_short(error.message)} (in {where})")]


def _field(path: list[Any]) -> str:
    """``address.zip`` or ``items[0].id``: the JSON path without its ``$.``."""
    text = json_path(path)[1:]
    return text[1:] if text.startswith(".") else text


def _short(message: str) -> str:
    return message if len(message) <= _MESSAGE_LIMIT else message[:_MESSAGE_LIMIT] + "…"
