"""Validating pact values against the document's schemas, in the document's own dialect.

OpenAPI 3.0 schemas are validated with openapi-schema-validator's OAS 3.0 dialect (Draft 4
plus ``nullable``, the OpenAPI formats), extended with ``unevaluatedProperties`` so that an
``allOf`` can mean the union of its members; 3.1 schemas with its OAS 3.1 dialect (JSON Schema
2020-12). ``$ref``s resolve through one ``referencing`` registry holding the document (a
recursive schema resolves lazily, so it validates like any other); nothing is fetched.

Regular expressions (``pattern``, ``patternProperties``, and the names ``additionalProperties``
and ``unevaluatedProperties`` weigh against them) come from the document and the strings they
run on from the pact, so they run in RE2, whose time is linear in the text: Python's ``re``
backtracks, and ``^(a+)+$`` against 28 letters and a ``!`` holds the worker for seconds. A
pattern RE2 cannot compile (backreferences, lookarounds) is not run at all: it counts as
matching, and the comparison says, as a warning, that it was not checked
(:data:`UNCHECKED_PATTERN`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextvars import ContextVar
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import quote

import re2  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend
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

__all__ = [
    "DEFAULTS_30",
    "DEFAULTS_31",
    "UNCHECKED_PATTERN",
    "SchemaProblem",
    "SchemaSet",
    "UncheckedPattern",
    "View",
    "json_path",
    "pattern_search",
]

View = str
"""``"plain"`` (as written: parameters, headers), ``"request"`` or ``"response"`` (bodies)."""

_BASE = "urn:provider-contract"
_INTEGER = re.compile(r"[+-]?\d+")

UNCHECKED_PATTERN = "schema.pattern.unchecked"
"""The broker's own rule (a warning): a pattern RE2 cannot run, so the value was not checked."""

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a pattern it refuses is reported here, not on stderr
_unchecked: ContextVar[dict[str, None] | None] = ContextVar("_unchecked", default=None)


class UncheckedPattern(ValidationError):
    """Not a failure: ``pattern`` could not be run (RE2 refuses it), so nothing was checked."""

    def __init__(self, pattern: str) -> None:
        super().__init__(f"the pattern {pattern!r} was not checked: RE2 cannot run it")
        self.pattern = pattern


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> Any:
    try:
        return re2.compile(pattern, _RE2_OPTIONS)
    except (re2.error, UnicodeError):  # RE2's syntax, or a lone surrogate (RE2 reads UTF-8)
        return None


def pattern_search(pattern: Any, text: str) -> bool | None:
    """Whether ``pattern`` is found in ``text``, in linear time; None when RE2 cannot run it."""
    if not isinstance(pattern, str):
        raise TypeError(f"a pattern must be a string, not {type(pattern).__name__}")
    compiled = _compiled(pattern)
    if compiled is not None:
        try:
            return compiled.search(text) is not None
        except UnicodeError:  # a lone surrogate in the text: RE2 reads UTF-8 only
            pass
    unchecked = _unchecked.get()
    if unchecked is not None:
        unchecked.setdefault(pattern)
    return None


def _matches(pattern: Any, text: str) -> bool:
    """As :func:`pattern_search`, a pattern it cannot run counting as a match (not checked)."""
    return pattern_search(pattern, text) is not False


def _pattern(validator: Any, pattern: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _matches(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, patterns: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if _matches(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional(instance: Any, schema: Any) -> list[Any]:
    properties = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    return [
        key
        for key in instance
        if key not in properties and not any(_matches(p, key) for p in patterns)
    ]


def _additional_properties(*, oas30: bool) -> Any:
    """``additionalProperties`` as jsonschema's (3.1) or openapi-schema-validator's (3.0)."""

    def additional_properties(
        validator: Any, allowed: Any, instance: Any, schema: Any
    ) -> Iterator[ValidationError]:
        if not validator.is_type(instance, "object"):
            return
        extras = _additional(instance, schema)
        if validator.is_type(allowed, "object"):
            for extra in extras:
                yield from validator.descend(instance[extra], allowed, path=extra)
        elif not allowed and extras:
            if "patternProperties" in schema and not oas30:
                verb = "does" if len(extras) == 1 else "do"
                joined = ", ".join(repr(each) for each in sorted(extras, key=str))
                patterns = ", ".join(repr(each) for each in sorted(schema["patternProperties"]))
                yield ValidationError(f"{joined} {verb} not match any of the regexes: {patterns}")
            else:
                shown = sorted(extras, key=str) if not oas30 else extras
                verb = "was" if len(extras) == 1 else "were"
                joined = ", ".join(repr(extra) for extra in shown)
                yield ValidationError(
                    f"Additional properties are not allowed ({joined} {verb} unexpected)"
                )

    return additional_properties


def _unevaluated_properties(
    validator: Any, unevaluated: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    """jsonschema's ``unevaluatedProperties``, its ``patternProperties`` names matched in RE2."""
    if not validator.is_type(instance, "object"):
        return
    evaluated = set(_evaluated_keys(validator, instance, schema))
    refused = [
        key
        for key in instance
        if key not in evaluated
        and next(validator.descend(instance[key], unevaluated, path=key), None) is not None
    ]
    if refused:
        verb = "was" if len(refused) == 1 else "were"
        if unevaluated is False:
            joined = ", ".join(repr(key) for key in sorted(refused, key=str))
            yield ValidationError(
                f"Unevaluated properties are not allowed ({joined} {verb} unexpected)"
            )
        else:
            joined = ", ".join(repr(key) for key in refused)
            yield ValidationError(
                "Unevaluated properties are not valid under the given schema "
                f"({joined} {verb} unevaluated and invalid)"
            )


def _evaluated_keys(validator: Any, instance: Any, schema: Any) -> list[Any]:
    """jsonschema's ``find_evaluated_property_keys_by_schema``, with :func:`_matches`."""
    if validator.is_type(schema, "boolean"):
        return []
    keys: list[Any] = []
    for keyword in ("$ref", "$dynamicRef"):
        ref = schema.get(keyword)
        if ref is not None:
            resolved = validator._resolver.lookup(ref)
            keys += _evaluated_keys(
                validator.evolve(schema=resolved.contents, _resolver=resolved.resolver),
                instance,
                resolved.contents,
            )
    properties = schema.get("properties")
    if validator.is_type(properties, "object"):
        keys += properties.keys() & instance.keys()
    for keyword in ("additionalProperties", "unevaluatedProperties"):
        if (subschema := schema.get(keyword)) is not None:
            keys += (
                key
                for key, value in instance.items()
                if next(validator.descend(value, subschema), None) is None
            )
    for pattern in schema.get("patternProperties", {}):
        keys += (key for key in instance if _matches(pattern, key))
    for key, subschema in schema.get("dependentSchemas", {}).items():
        if key in instance:
            keys += _evaluated_keys(validator, instance, subschema)
    for keyword in ("allOf", "oneOf", "anyOf"):
        for subschema in schema.get(keyword, []):
            if next(validator.descend(instance, subschema), None) is None:
                keys += _evaluated_keys(validator, instance, subschema)
    if "if" in schema:
        if validator.evolve(schema=schema["if"]).is_valid(instance):
            keys += _evaluated_keys(validator, instance, schema["if"])
            if "then" in schema:
                keys += _evaluated_keys(validator, instance, schema["then"])
        elif "else" in schema:
            keys += _evaluated_keys(validator, instance, schema["else"])
    return keys


# jsonschema's stubs leave extend untyped; the class it returns is a Validator like the one given.
DEFAULTS_30: Any = extend(  # type: ignore[no-untyped-call]
    OAS30Validator,
    {"pattern": _pattern, "additionalProperties": _additional_properties(oas30=True)},
)
"""OpenAPI 3.0's schema dialect with patterns in RE2 (for ``default`` values, at publish)."""
DEFAULTS_31: Any = extend(  # type: ignore[no-untyped-call]
    OAS31Validator,
    {
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties(oas30=False),
        "unevaluatedProperties": _unevaluated_properties,
    },
)
"""OpenAPI 3.1's schema dialect with patterns in RE2 (for ``default`` values, at publish)."""
_OAS30: Any = extend(  # type: ignore[no-untyped-call]
    DEFAULTS_30, {"unevaluatedProperties": _unevaluated_properties}
)
_OAS31: Any = DEFAULTS_31


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
        cls = _OAS31 if self._v31 else _OAS30
        validator: Validator = cls(
            {"$ref": f"{_BASE}#{quote(pointer, safe='/~')}"},
            registry=registry,
            format_checker=cls.FORMAT_CHECKER,
        )
        unchecked: dict[str, None] = {}
        token = _unchecked.set(unchecked)
        try:
            errors = list(validator.iter_errors(instance))
        except RecursionError as exc:
            raise SchemaProblem("its $refs or the value nest without end") from exc
        except Exception as exc:  # any schema fault, reported on the finding that needed it
            raise SchemaProblem(f"{type(exc).__name__}: {exc}"[:300]) from exc
        finally:
            _unchecked.reset(token)
        return errors + [UncheckedPattern(pattern) for pattern in unchecked]

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
