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
from functools import cache
from typing import TYPE_CHECKING, Any

import yaml

from contract_broker import warm_up

if TYPE_CHECKING:
    from openapi_spec_validator.validation.keywords import KeywordValidator

__all__ = ["MAX_DEPTH", "MAX_VALUES", "InvalidProviderContract", "oas_version", "parse_document"]

MAX_DEPTH = 200
"""Deeper than any real OpenAPI document; deep enough to keep recursion well inside Python's."""
MAX_VALUES = 1_000_000
"""Values after expanding YAML aliases: a generous ceiling that an alias bomb hits at once."""
MAX_MERGED = 100_000
"""Pairs YAML merge keys (``<<``) may copy (also charged to :data:`MAX_VALUES`); real documents
merge a few keys at a time, a chain of merges copies quadratically many."""
_MESSAGE_LIMIT = 300


class InvalidProviderContract(ValueError):
    """The content is not a valid OpenAPI 3.0/3.1 document; the message says what is wrong."""


_MAX_INT_BITS = 14_000
"""About 4200 decimal digits: Python refuses to print (and so to store as JSON) longer integers."""


class _Loader(yaml.SafeLoader):
    """The safe loader without implicit timestamps: ``2024-01-01`` stays the string JSON has.

    The pure-Python loader, not libyaml's: deep nesting then ends in a RecursionError we can
    report, never in a crash of the process. Merge keys (``<<``) are expanded against the same
    values budget as aliases (see :meth:`flatten_mapping`), so a chain of merges cannot cost
    quadratic time and memory before anything counts it.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.budget = MAX_VALUES
        self.merged = 0

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        """PyYAML's merge-key expansion, charging every pair it copies or re-scans."""
        merge: list[tuple[yaml.Node, yaml.Node]] = []
        merge_key_ids: set[int] = set()
        index = 0
        while index < len(node.value):
            key_node, value_node = node.value[index]
            if key_node.tag == "tag:yaml.org,2002:merge":
                del node.value[index]
                if isinstance(value_node, yaml.MappingNode):
                    sources = [value_node]
                elif isinstance(value_node, yaml.SequenceNode):
                    sources = value_node.value
                else:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"expected a mapping or list of mappings for merging, but found "
                        f"{value_node.id}",
                        value_node.start_mark,
                    )
                for source in sources:
                    if not isinstance(source, yaml.MappingNode):
                        raise yaml.constructor.ConstructorError(
                            "while constructing a mapping",
                            node.start_mark,
                            f"expected a mapping for merging, but found {source.id}",
                            source.start_mark,
                        )
                    self.flatten_mapping(source)
                    self._charge(len(source.value))
                    for pair in source.value:
                        if (key_id := id(pair[0].value)) not in merge_key_ids:
                            merge_key_ids.add(key_id)
                            merge.append(pair)
            elif key_node.tag == "tag:yaml.org,2002:value":
                key_node.tag = "tag:yaml.org,2002:str"
                index += 1
            else:
                index += 1
        if merge:
            node.value = merge + node.value

    def _charge(self, values: int) -> None:
        self.budget -= values
        self.merged += values
        if self.merged > MAX_MERGED or self.budget < 0:
            raise InvalidProviderContract(
                f"the provider contract's YAML merge keys (<<) copy more than {MAX_MERGED} "
                "values; merge less (or write the keys out)"
            )


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
    budget = [MAX_VALUES]
    try:
        loaded = _load_json(text) if is_json else _load_yaml(text, budget)
    except InvalidProviderContract:
        raise
    except json.JSONDecodeError as exc:
        raise InvalidProviderContract(f"the provider contract is not valid JSON: {exc}") from exc
    except yaml.YAMLError as exc:
        raise InvalidProviderContract(
            f"the provider contract is not valid YAML: {_yaml(exc)}"
        ) from exc
    except RecursionError as exc:
        raise InvalidProviderContract(_too_deep()) from exc
    except ValueError as exc:  # e.g. an integer longer than Python converts (4300 digits)
        raise InvalidProviderContract(
            f"the provider contract holds a value that cannot be read: {_short(str(exc))}"
        ) from exc
    document = _plain(loaded, depth=0, budget=budget)
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


def _load_yaml(text: str, budget: list[int]) -> Any:
    loader = _Loader(text)
    try:
        loaded = loader.get_single_data()
    finally:
        loader.dispose()
    budget[0] = loader.budget  # what merge keys used is not left to the values
    return loaded


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
    if isinstance(value, int) and value.bit_length() > _MAX_INT_BITS:
        raise InvalidProviderContract(_huge_integer())
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
        if key.bit_length() > _MAX_INT_BITS:
            raise InvalidProviderContract(_huge_integer())
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
    # Imported here, not at the top: openapi-spec-validator and what it brings (jsonschema,
    # jsonschema-path, requests) would add ~0.1 s to every start of the broker; the app imports
    # them in the background once it serves (contract_broker.warm_up).
    warm_up.wait()
    from jsonschema.exceptions import ValidationError
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import ValidatorDetectError
    from referencing.exceptions import Unresolvable

    try:
        validate(document, cls=_spec_validator(oas_version(document)))
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
    except UnicodeError as exc:  # the validator reads the document as UTF-8
        raise InvalidProviderContract(
            "the provider contract has a string that is not valid Unicode (a lone surrogate)"
        ) from exc
    except RecursionError as exc:
        raise InvalidProviderContract(
            "the provider contract's $refs refer to each other without end (a schema that is "
            "only a $ref to itself, directly or through others)"
        ) from exc


@cache
def _spec_validator(version: str) -> Any:
    """openapi-spec-validator's validator, checking ``default`` values with patterns in RE2.

    A ``default`` is checked against its schema, so the document's patterns run on its values:
    in Python's ``re`` a pattern like ``^(a+)+$`` takes seconds (see ``schemas``).
    """
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
    from openapi_spec_validator.validation.keywords import (
        OpenAPIV30ValueValidator,
        OpenAPIV31ValueValidator,
    )

    from contract_broker.services.provider_contracts.schemas import DEFAULTS_30, DEFAULTS_31

    class Defaults30(OpenAPIV30ValueValidator):
        value_validator_cls = DEFAULTS_30

    class Defaults31(OpenAPIV31ValueValidator):
        value_validator_cls = DEFAULTS_31

    class Spec30(OpenAPIV30SpecValidator):
        keyword_validators = _with_default(OpenAPIV30SpecValidator, Defaults30)

    class Spec31(OpenAPIV31SpecValidator):
        keyword_validators = _with_default(OpenAPIV31SpecValidator, Defaults31)

    return Spec31 if version == "3.1" else Spec30


def _with_default(spec: Any, defaults: type[KeywordValidator]) -> dict[str, type[KeywordValidator]]:
    return {**spec.keyword_validators, "default": defaults}


def _yaml(error: yaml.YAMLError) -> str:
    """The problem and where it is, on one line (PyYAML's own message spans several)."""
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        return f"{error.problem} (line {mark.line + 1}, column {mark.column + 1})"
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _huge_integer() -> str:
    return "the provider contract holds an integer too long to store (over 4200 digits)"


def _too_deep() -> str:
    return f"the provider contract nests deeper than {MAX_DEPTH} levels"


def _short(message: str) -> str:
    return message if len(message) <= _MESSAGE_LIMIT else message[:_MESSAGE_LIMIT] + "…"


def _kind(value: Any) -> str:
    kinds = {list: "a list", str: "a string", int: "a number", float: "a number"}
    kinds |= {bool: "a boolean", type(None): "nothing"}
    return kinds.get(type(value), type(value).__name__)
