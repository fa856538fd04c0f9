"""Validating pact values against the document's schemas, in the document's own dialect.

OpenAPI 3.0 schemas are validated with openapi-schema-validator's OAS 3.0 dialect (Draft 4
plus ``nullable``, the OpenAPI formats), extended with ``unevaluatedProperties`` so that an
``allOf`` can mean the union of its members; 3.1 schemas with its OAS 3.1 dialect (JSON Schema
2020-12). ``$ref``s resolve through one ``referencing`` registry holding the document (a
recursive schema resolves lazily, so it validates like any other); nothing is fetched.
"""

from __future__ import annotations

import math
import re
from functools import cached_property
from typing import Any
from urllib.parse import quote

from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import Draft202012Validator, extend
from openapi_schema_validator import OAS30Validator, OAS31Validator
from referencing import Registry
from referencing.jsonschema import DRAFT4, DRAFT202012

from contract_broker.services.provider_contracts.document import oas_version
from contract_broker.services.provider_contracts.views import (
    SCHEMA_KEYWORDS,
    pointer_target,
    request_view,
    resolve_ref,
    response_view,
)

__all__ = ["SchemaProblem", "SchemaSet", "View", "json_path"]

View = str
"""``"plain"`` (as written: parameters, headers), ``"request"`` or ``"response"`` (bodies)."""

_BASE = "urn:provider-contract"
# jsonschema's stubs leave extend untyped; the class it returns is a Validator like the one given.
_OAS30: Any = extend(  # type: ignore[no-untyped-call]
    OAS30Validator,
    {"unevaluatedProperties": Draft202012Validator.VALIDATORS["unevaluatedProperties"]},
)
_INTEGER = re.compile(r"[+-]?\d+")


class SchemaProblem(Exception):
    """A schema in the document that cannot be evaluated; the message says why."""


class SchemaSet:
    """One document's schemas, ready to validate pact values against."""

    def __init__(self, document: Any) -> None:
        self.document = document
        self._v31 = oas_version(document) == "3.1"

    @cached_property
    def _views(self) -> dict[View, Any]:
        return {
            "plain": self.document,
            "request": request_view(self.document),
            "response": response_view(self.document),
        }

    def errors(self, pointer: str, instance: Any, view: View) -> list[ValidationError]:
        """Every way ``instance`` fails the schema at ``pointer`` (in the document) in ``view``.

        Raises :class:`SchemaProblem` when the schema itself cannot be evaluated (a ``$ref``
        to nowhere, ``$ref``s looping without end, a keyword of the wrong type): a document
        handed to ``compare`` need not have been validated.
        """
        contents = self._views[view]
        dialect = DRAFT202012 if self._v31 else DRAFT4
        registry: Registry[Any] = Registry().with_resource(_BASE, dialect.create_resource(contents))
        cls = OAS31Validator if self._v31 else _OAS30
        validator: Validator = cls(
            {"$ref": f"{_BASE}#{quote(pointer, safe='/~')}"},
            registry=registry,
            format_checker=cls.FORMAT_CHECKER,
        )
        try:
            return list(validator.iter_errors(instance))
        except RecursionError as exc:
            raise SchemaProblem("its $refs or the value nest without end") from exc
        except Exception as exc:  # any schema fault, reported on the finding that needed it
            raise SchemaProblem(f"{type(exc).__name__}: {exc}"[:300]) from exc

    def parameter_errors(self, pointer: str, values: tuple[str, ...]) -> list[ValidationError]:
        """How a parameter's values (text, as sent) fail its schema, after coercing each."""
        schema = self.resolved(pointer_target(self.document, pointer))
        items = schema.get("items") if isinstance(schema, dict) else None
        if isinstance(schema, dict) and schema.get("type") == "array":
            # Arrays arrive as repeated values or comma-separated (form style, explode or not).
            parts = [part for value in values for part in value.split(",")]
            return self.errors(pointer, [self.coerced(p, items) for p in parts], "plain")
        return [e for v in values for e in self.errors(pointer, self.coerced(v, schema), "plain")]

    def resolved(self, schema: Any, view: View = "plain") -> Any:
        """``schema`` with its top-level ``$ref``s followed (None when they lead nowhere)."""
        target, _ = resolve_ref(self._views[view], schema)
        return target

    def declared(self, schema: Any, view: View, depth: int = 0) -> set[str] | None:
        """The property names ``schema`` declares, through ``$ref``s and combinators.

        None when it declares any name (a pattern, an open ``additionalProperties``), so that
        no name is reported as undocumented by mistake.
        """
        schema = self.resolved(schema, view)
        if not isinstance(schema, dict) or depth > 32:
            return None
        names = set(schema.get("properties") or {})
        if schema.get("patternProperties") or schema.get("additionalProperties") not in (
            None,
            False,
        ):
            return None
        for key in SCHEMA_KEYWORDS:
            for member in schema.get(key) or []:
                more = self.declared(member, view, depth + 1)
                if more is None:
                    return None
                names |= more
        return names

    def coerced(self, value: str, schema: Any) -> Any:
        """A parameter's text as the type its schema wants (as Ajv's ``coerceTypes``)."""
        schema = self.resolved(schema)
        types = schema.get("type") if isinstance(schema, dict) else None
        wanted = [types] if isinstance(types, str) else types if isinstance(types, list) else []
        if not wanted or "string" in wanted:
            return value
        for kind in wanted:
            converted = _convert(value, kind)
            if converted is not _NOT:
                return converted
        return value


_NOT = object()


def _convert(value: str, kind: str) -> Any:
    if kind == "integer" and _INTEGER.fullmatch(value):
        return int(value)
    if kind == "number":
        try:
            number = float(value)
        except ValueError:
            return _NOT
        if math.isfinite(number):
            return int(number) if number.is_integer() and "." not in value else number
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    if kind == "null" and value == "":
        return None
    return _NOT


def json_path(parts: Any) -> str:
    """``$`` followed by ``.name`` for each key and ``[i]`` for each index."""
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path
