"""Pact content: parsing, the content SHA, and interaction ids — as the Pact Broker computes them.

The SHA covers only what affects verification (interactions or messages, and the specification
version), with hash keys sorted and the interactions sorted, so the same contract published by
many consumer versions is one pact version, verified once.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any

from contract_broker.errors import Invalid

__all__ = [
    "MAX_NESTING",
    "canonical_json",
    "check_pact",
    "interaction_id",
    "interactions_of",
    "json_problem",
    "load_json",
    "pact_sha",
    "parse_pact",
    "specification_version",
    "with_interaction_ids",
]

MAX_NESTING = 100
"""How deeply JSON may nest: the default of Ruby's JSON parser, which the Pact Broker uses."""


def canonical_json(value: Any) -> str:
    """Compact JSON, non-ASCII kept as is (like Ruby's ``to_json``)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _sorted_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value


def specification_version(pact: dict[str, Any]) -> str | None:
    metadata = pact.get("metadata")
    if not isinstance(metadata, dict):
        return None
    for key in ("pactSpecification", "pact-specification"):
        section = metadata.get(key)
        if isinstance(section, dict) and section.get("version") is not None:
            return str(section["version"])
    version = metadata.get("pactSpecificationVersion")
    return str(version) if version is not None else None


def _verifiable_key(pact: dict[str, Any]) -> str | None:
    for key in ("interactions", "messages"):
        if pact.get(key):
            return key
    return None


def pact_sha(pact: dict[str, Any]) -> str:
    """SHA1 of the sorted content that affects verification results."""
    content: dict[str, Any]
    if "interactions" in pact or "messages" in pact:
        content = {}
        for name in ("interactions", "messages"):
            if pact.get(name) is not None:
                content[name] = _without_ids(pact[name])
        spec = specification_version(pact)
        if spec is not None:
            content["pact_specification_version"] = spec
    else:
        content = pact
    ordered = _sorted_keys(content)
    key = _verifiable_key(ordered)
    if key is not None and isinstance(ordered[key], list):
        ordered[key] = sorted(ordered[key], key=canonical_json)
    return hashlib.sha1(canonical_json(ordered).encode(), usedforsecurity=False).hexdigest()


def _without_ids(items: Any) -> Any:
    if not isinstance(items, list):
        return items
    return [
        {k: v for k, v in item.items() if k != "_id"} if isinstance(item, dict) else item
        for item in items
    ]


def interaction_id(interaction: dict[str, Any]) -> str:
    """The broker's ``_id`` of an interaction: SHA1 of it, keys sorted, without ``_id``."""
    bare = {k: v for k, v in interaction.items() if k != "_id"}
    return hashlib.sha1(
        canonical_json(_sorted_keys(bare)).encode(), usedforsecurity=False
    ).hexdigest()


def with_interaction_ids(pact: dict[str, Any]) -> dict[str, Any]:
    """``pact`` with an ``_id`` as the first key of every interaction and message."""
    result = dict(pact)
    for key in ("interactions", "messages"):
        items = pact.get(key)
        if isinstance(items, list):
            result[key] = [
                {"_id": interaction_id(item), **{k: v for k, v in item.items() if k != "_id"}}
                if isinstance(item, dict)
                else item
                for item in items
            ]
    return result


def interactions_of(pact: dict[str, Any]) -> list[dict[str, Any]]:
    items = pact.get("interactions") or pact.get("messages") or []
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def json_problem(value: Any) -> str | None:
    """Why parsed JSON cannot be stored, or None: nested too deeply, or not valid Unicode.

    Ruby's JSON parser, which the Pact Broker uses, refuses more than ``MAX_NESTING`` levels;
    a lone surrogate (``"\\ud800"``) parses in Python but cannot be encoded as UTF-8.
    """
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth > MAX_NESTING:
                return f"it is nested more than {MAX_NESTING} levels deep"
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
            if isinstance(item, dict):
                pending.extend((key, depth) for key in item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "it has a string that is not valid Unicode (a lone surrogate)"
    return None


def _no_constant(name: str) -> Any:
    raise ValueError(
        f"{name} is not valid JSON (JSON has no NaN or Infinity: send a number, a string or null)"
    )


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text} is too large (it does not fit a 64-bit float)")
    return value


def load_json(text: str | bytes) -> Any:
    """``json.loads`` with the limits of ``json_problem``: ``ValueError`` saying what is wrong.

    Like every strict JSON parser (Ruby's, which the Pact Broker uses, and PostgreSQL's), it
    refuses ``NaN``, ``Infinity`` and ``-Infinity``, and numbers too large for a float, which
    Python's ``json`` would turn into values no JSON document can hold.
    """
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError as exc:
        raise ValueError(f"it is nested more than {MAX_NESTING} levels deep") from exc
    # Walking the whole value is only needed when the text could hold a problem: enough
    # brackets to nest that deep, or an escaped surrogate (raw ones do not decode).
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    if raw.count("[") + raw.count("{") > MAX_NESTING or ESCAPED_SURROGATE.search(raw):
        problem = json_problem(value)
        if problem is not None:
            raise ValueError(problem)
    return value


def parse_pact(text: str | bytes, *, field: str = "content") -> dict[str, Any]:
    """A pact document from JSON text; ``Invalid`` when it is not one."""
    try:
        pact = load_json(text)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise Invalid.field(field, f"is not valid JSON: {exc}") from exc
    return check_pact(pact, field=field)


def check_pact(pact: Any, *, field: str = "content") -> dict[str, Any]:
    """``pact`` if it looks like a pact (an object naming consumer and provider)."""
    if not isinstance(pact, dict):
        raise Invalid.field(field, f"must be a JSON object (a pact), not {type(pact).__name__}")
    problems = []
    for side in ("consumer", "provider"):
        section = pact.get(side)
        if (
            not isinstance(section, dict)
            or not isinstance(section.get("name"), str)
            or not section["name"].strip()
        ):
            problems.append(f"is not a pact: $.{side}.name is missing")
    for key in ("interactions", "messages"):
        if key in pact and not isinstance(pact[key], list):
            problems.append(f"is not a pact: $.{key} must be a list")
    if problems:
        raise Invalid({field: problems})
    return pact
