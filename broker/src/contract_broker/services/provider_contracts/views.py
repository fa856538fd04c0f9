"""The document as requests and as responses are judged: swagger-mock-validator's schema rewrites.

A pact's response is what the consumer *relies on*, so a response schema is read strictly: a
field the consumer expects that the provider does not document is an error even without
``additionalProperties: false`` (the reference's default, ``additionalPropertiesInResponse``
off), and ``required`` is dropped because a consumer may rely on a subset of the fields
(``requiredPropertiesInResponse`` off). Requests keep their schemas as written. In both, an
``allOf`` means the union of its members, as OpenAPI intends, not JSON Schema's "each member on
its own": its members stop refusing each other's properties and the ``allOf`` refuses what none
of them declares (``unevaluatedProperties: false``).

The rewrites apply to copies; the document itself is never changed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

__all__ = [
    "METHODS",
    "SCHEMA_KEYWORDS",
    "pointer_target",
    "request_view",
    "resolve_ref",
    "response_view",
]

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SCHEMA_KEYWORDS = ("allOf", "anyOf", "oneOf", "prefixItems")
"""Keywords holding a list of subschemas (``items`` may be either)."""
_SCHEMA_CHILD = ("not", "items", "additionalProperties", "unevaluatedProperties", "if", "then")
_SCHEMA_MAPS = ("properties", "patternProperties", "definitions", "$defs")
_MAX_REF_HOPS = 64

Visitor = Callable[[dict[str, Any], Any], None]


def response_view(document: Any) -> Any:
    """A copy whose schemas refuse undocumented fields and require none (see the module doc)."""
    view = copy.deepcopy(document)
    _apply(view, _strict_objects)
    _apply(view, _union_all_of)
    return view


def request_view(document: Any) -> Any:
    """A copy whose ``allOf`` schemas mean the union of their members."""
    view = copy.deepcopy(document)
    _apply(view, _union_all_of)
    return view


def resolve_ref(document: Any, node: Any) -> tuple[Any, str | None]:
    """``node`` with local ``$ref``s followed, and the pointer it came from (None: not a ref)."""
    pointer = None
    for _ in range(_MAX_REF_HOPS):
        ref = node.get("$ref") if isinstance(node, dict) else None
        if not isinstance(ref, str) or not ref.startswith("#"):
            return node, pointer
        pointer = unquote(ref[1:])  # a pointer in a URI fragment is percent-encoded
        node = pointer_target(document, pointer)
    return None, pointer


def pointer_target(document: Any, pointer: str) -> Any:
    """What a JSON pointer (``/a/b~1c``) points at in ``document``; None when nothing."""
    node = document
    for raw in pointer.split("/")[1:] if pointer else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdecimal() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _strict_objects(schema: dict[str, Any], document: Any) -> None:
    composed = any(k in schema for k in ("oneOf", "allOf", "anyOf"))
    types = schema.get("type")
    is_object = types == "object" or (isinstance(types, list) and "object" in types)
    if is_object and not composed and schema.get("additionalProperties", True) is True:
        schema["additionalProperties"] = False
    if "oneOf" not in schema:  # a discriminator needs its required property
        schema.pop("required", None)


def _union_all_of(schema: dict[str, Any], document: Any) -> None:
    members = schema.get("allOf")
    if not isinstance(members, list):
        return
    for index, written in enumerate(members):
        member = written
        if isinstance(written, dict) and "$ref" in written:
            target, _ = resolve_ref(document, written)
            if isinstance(target, dict):
                member = members[index] = dict(target)  # inlined, so the copy alone changes
        if isinstance(member, dict):
            member.pop("additionalProperties", None)
            if "allOf" in member:
                member.pop("unevaluatedProperties", None)
    schema["unevaluatedProperties"] = False


def _apply(document: Any, visit: Visitor) -> None:
    """Visit every schema (and each subschema once) that a body or a component can reach."""
    seen: set[int] = set()
    stack = list(_schema_roots(document))
    while stack:
        schema = stack.pop()
        if not isinstance(schema, dict) or id(schema) in seen:
            continue
        seen.add(id(schema))
        stack.extend(_subschemas(schema))
        visit(schema, document)


def _subschemas(schema: dict[str, Any]) -> Iterator[Any]:
    for key in SCHEMA_KEYWORDS:
        if isinstance(schema.get(key), list):
            yield from schema[key]
    for key in _SCHEMA_CHILD:
        yield schema.get(key)
    if isinstance(schema.get("items"), list):
        yield from schema["items"]
    for key in _SCHEMA_MAPS:
        if isinstance(schema.get(key), dict):
            yield from schema[key].values()


def _schema_roots(document: Any) -> Iterator[Any]:
    document = _mapping(document)
    components = _mapping(document.get("components"))
    yield from _mapping(components.get("schemas")).values()
    bodies = list(_mapping(components.get("requestBodies")).values())
    bodies += _mapping(components.get("responses")).values()
    for path_item in _mapping(document.get("paths")).values():
        for method in METHODS:
            operation = _mapping(_mapping(path_item).get(method))
            bodies.append(operation.get("requestBody"))
            bodies += _mapping(operation.get("responses")).values()
    for body in bodies:
        for media in _mapping(_mapping(body).get("content")).values():
            yield _mapping(media).get("schema")


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
