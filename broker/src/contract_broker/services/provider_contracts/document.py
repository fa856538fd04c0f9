"""Reading a provider contract: YAML or JSON text to a valid OpenAPI 3.0 or 3.1 document.

The document arrives from a provider's build, so it is treated as untrusted: YAML goes through
the safe loader, the result is copied into plain JSON values (bounded in depth and size, so an
alias bomb or a recursive alias is refused rather than expanded), only local ``$ref``s are
accepted (resolving a remote one would make the broker fetch URLs a publisher chose), and the
document itself is validated with openapi-spec-validator before anything compares against it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from typing import Any

import yaml
from jsonschema.exceptions import ValidationError
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import ValidatorDetectError
from referencing.exceptions import Unresolvable

__all__ = ["MAX_DEPTH", "MAX_VALUES", "InvalidProviderContract", "oas_version", "parse_document"]

MAX_DEPTH = 200
"""Deeper than any real OpenAPI document; deep enough to keep recursion well inside Python's."""
MAX_VALUES = 1_000_000
"""Values after expanding YAML aliases: a generous ceiling that an alias bomb hits at once."""
_MESSAGE_LIMIT = 300


class InvalidProviderContract(ValueError):
    """The content is not a valid OpenAPI 3.0/3.1 document; the message says what is wrong."""


class _Loader(yaml.SafeLoader):
    """The safe loader without implicit timestamps: ``2024-01-01`` stays the string JSON has.

    The pure-Python loader, not libyaml's: deep nesting then ends in a RecursionError we can
    report, never in a crash of the process.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_document(content: bytes, content_type: str) -> dict[str, Any]:
    """The OpenAPI document in ``content`` (JSON when the type says so, else YAML), validated.

    Raises :class:`InvalidProviderContract` for content that is not UTF-8, not JSON/YAML, not a
    mapping, not OpenAPI 3.0 or 3.1, has a non-local ``$ref``, or is not a valid document.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidProviderContract(f"the provider contract is not UTF-8 text: {exc}") from exc
    is_json = "json" in content_type.lower()
    try:
        loaded = _load_json(text) if is_json else yaml.load(text, Loader=_Loader)  # noqa: S506
    except json.JSONDecodeError as exc:
        raise InvalidProviderContract(f"the provider contract is not valid JSON: {exc}") from exc
    except yaml.YAMLError as exc:
        raise InvalidProviderContract(
            f"the provider contract is not valid YAML: {_yaml(exc)}"
        ) from exc
    except RecursionError as exc:
        raise InvalidProviderContract(_too_deep()) from exc
    document = _plain(loaded, depth=0, budget=[MAX_VALUES])
    if not isinstance(document, dict):
        raise InvalidProviderContract(
            f"the provider contract must be a mapping (an OpenAPI document), not {_kind(document)}"
        )
    oas_version(document, strict=True)
    for ref in _refs(document):
        if not ref.startswith("#"):
            raise InvalidProviderContract(
                f"$ref {ref!r} is not local: only references inside the document (#/...) are "
                "supported; bundle the document into one file before publishing it"
            )
    _validate(document)
    return document


def oas_version(document: Any, *, strict: bool = False) -> str:
    """``"3.0"`` or ``"3.1"`` from the ``openapi`` field; ``""`` for anything else unless strict."""
    version = document.get("openapi") if isinstance(document, dict) else None
    for supported in ("3.0", "3.1"):
        if isinstance(version, str) and version.startswith(supported + "."):
            return supported
    if strict:
        found = f"openapi: {version!r}" if version is not None else "no openapi field"
        if isinstance(document, dict) and "swagger" in document:
            found = f"swagger: {document['swagger']!r}"
        raise InvalidProviderContract(
            f"the provider contract is not an OpenAPI 3.0 or 3.1 document ({found}); "
            "publish an OpenAPI 3.0.x or 3.1.x document"
        )
    return ""


def _load_json(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise InvalidProviderContract(
            f"the provider contract contains {constant}, which JSON lacks"
        )

    return json.loads(text, parse_constant=refuse)


def _plain(value: Any, *, depth: int, budget: list[int]) -> Any:
    """A JSON-shaped copy: string keys, lists, finite numbers; nothing shared, nothing cyclic."""
    budget[0] -= 1
    if budget[0] < 0:
        raise InvalidProviderContract(
            f"the provider contract holds more than {MAX_VALUES} values (after expanding YAML "
            "aliases); it is too large to compare"
        )
    if depth > MAX_DEPTH:
        raise InvalidProviderContract(_too_deep())
    if isinstance(value, dict):
        return {_key(k): _plain(v, depth=depth + 1, budget=budget) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, depth=depth + 1, budget=budget) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidProviderContract(
            f"the provider contract contains {value}, which JSON cannot represent"
        )
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    raise InvalidProviderContract(
        f"the provider contract contains {_kind(value)}, which JSON cannot represent"
    )


def _key(key: Any) -> str:
    # YAML reads `200:` as an integer; OpenAPI means the string "200".
    if isinstance(key, str):
        return key
    if isinstance(key, int) and not isinstance(key, bool):
        return str(key)
    raise InvalidProviderContract(
        f"the provider contract has a key that is {_kind(key)} ({key!r}), not a string"
    )


def _refs(document: dict[str, Any]) -> Iterator[str]:
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                yield ref
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _validate(document: dict[str, Any]) -> None:
    try:
        validate(document)
    except ValidationError as exc:
        where = "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in exc.path)
        first_line = exc.message.strip().splitlines()[0] if exc.message.strip() else "invalid"
        raise InvalidProviderContract(
            f"the provider contract is not a valid OpenAPI document: {_short(first_line)}"
            + (f" (at {where})" if where else "")
        ) from exc
    except ValidatorDetectError as exc:
        raise InvalidProviderContract("the provider contract's OpenAPI version is unknown") from exc
    except Unresolvable as exc:
        ref = str(getattr(exc, "ref", ""))
        ref = "#" + ref if ref.startswith("/") else ref
        raise InvalidProviderContract(
            f"$ref {_short(ref)!r} in the provider contract points at nothing in it"
        ) from exc
    except RecursionError as exc:
        raise InvalidProviderContract(
            "the provider contract's $refs refer to each other without end (a schema that is "
            "only a $ref to itself, directly or through others)"
        ) from exc


def _yaml(error: yaml.YAMLError) -> str:
    """The problem and where it is, on one line (PyYAML's own message spans several)."""
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        return f"{error.problem} (line {mark.line + 1}, column {mark.column + 1})"
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _too_deep() -> str:
    return f"the provider contract nests deeper than {MAX_DEPTH} levels"


def _short(message: str) -> str:
    return message if len(message) <= _MESSAGE_LIMIT else message[:_MESSAGE_LIMIT] + "…"


def _kind(value: Any) -> str:
    kinds = {list: "a list", str: "a string", int: "a number", float: "a number"}
    kinds |= {bool: "a boolean", type(None): "nothing"}
    return kinds.get(type(value), type(value).__name__)
