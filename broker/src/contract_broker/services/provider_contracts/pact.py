"""The HTTP interactions of a pact (spec v2, v3 or v4), read tolerantly into one plain shape.

Pacts come from consumers' builds, so any part may be missing or of the wrong type: what cannot
be read becomes a finding on that interaction (never an exception), and message interactions are
skipped because an OpenAPI document says nothing about them.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from contract_broker.services.provider_contracts.results import Mismatch

__all__ = ["MAX_BODY_DEPTH", "Body", "Headers", "HttpInteraction", "http_interactions"]

MAX_BODY_DEPTH = 200
"""Bodies nested deeper than this are reported, not validated: validation recurses per level."""

_SMALL_NUMBER = re.compile(r"[0-9]{1,4}")
"""A status or a spec version as text: ASCII digits, few enough for ``int`` to be cheap."""

Headers = Mapping[str, tuple[str, str]]
"""Lower-cased header name → (the name as the pact writes it, the value)."""


@dataclass(frozen=True)
class Body:
    """A request or response body; ``present`` tells an absent body from a JSON ``null``."""

    present: bool = False
    value: Any = None
    content_type: str | None = None  # v4 keeps it beside the content


@dataclass(frozen=True)
class HttpInteraction:
    """One HTTP interaction; ``problems`` are the parts of it that could not be read."""

    description: str
    method: str = ""
    path: str = ""
    query: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    request_headers: Headers = field(default_factory=dict)
    request_body: Body = Body()
    status: int | None = None
    response_headers: Headers = field(default_factory=dict)
    response_body: Body = Body()
    problems: tuple[Mismatch, ...] = ()


def http_interactions(pact: Any) -> list[HttpInteraction]:
    """The pact's HTTP interactions in order; nothing when it is not a pact at all."""
    if not isinstance(pact, Mapping):
        return []
    interactions = pact.get("interactions")
    if not isinstance(interactions, list):
        return []
    v4 = _spec_version(pact) >= 4
    found = []
    for index, interaction in enumerate(interactions, start=1):
        if not isinstance(interaction, Mapping):
            found.append(_unreadable(f"interaction {index}", "the interaction is not an object"))
            continue
        kind = interaction.get("type")
        if kind is not None and kind != "Synchronous/HTTP":
            continue  # message interactions: nothing in an OpenAPI document to compare with
        description = interaction.get("description")
        name = description if isinstance(description, str) else f"interaction {index}"
        found.append(_read(name, interaction, v4=v4 or kind is not None))
    return found


def _read(description: str, interaction: Mapping[str, Any], *, v4: bool) -> HttpInteraction:
    problems: list[Mismatch] = []
    request = interaction.get("request")
    response = interaction.get("response")
    if not isinstance(request, Mapping):
        problems.append(_path_problem("method", "", "the interaction has no request"))
        request = {}
    if not isinstance(response, Mapping):
        response = {}
    method, path = request.get("method"), request.get("path")
    if not isinstance(method, str) or not method:
        problems.append(_path_problem("method", "", "the request has no method"))
        method = ""
    if not isinstance(path, str):
        problems.append(_path_problem("path", "", "the request has no path"))
        path = ""
    status = response.get("status")
    if isinstance(status, str) and _SMALL_NUMBER.fullmatch(status):
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool):
        problems.append(
            Mismatch.of("response.status.unknown", "status", "", "the response has no status")
        )
        status = None
    request_body = _body(request, v4=v4, side="request", problems=problems)
    response_body = _body(response, v4=v4, side="response", problems=problems)
    return HttpInteraction(
        description=description,
        method=method.lower(),
        path=path,
        query=_query(request.get("query")),
        request_headers=_headers(request.get("headers")),
        request_body=request_body,
        status=status,
        response_headers=_headers(response.get("headers")),
        response_body=response_body,
        problems=tuple(problems),
    )


def _spec_version(pact: Mapping[str, Any]) -> int:
    metadata = pact.get("metadata") or pact.get("metaData")
    if not isinstance(metadata, Mapping):
        return 0
    candidates = [
        _get(metadata, "pactSpecification", "version"),
        metadata.get("pactSpecificationVersion"),
        _get(metadata, "pact-specification", "version"),
    ]
    for candidate in candidates:
        major = _SMALL_NUMBER.match(candidate) if isinstance(candidate, str) else None
        if major and candidate[major.end() :][:1] in ("", "."):
            return int(major.group())
    return 0


def _get(mapping: Mapping[str, Any], *keys: str) -> Any:
    value: Any = mapping
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _headers(raw: Any) -> dict[str, tuple[str, str]]:
    if not isinstance(raw, Mapping):
        return {}
    headers = {}
    for name, value in raw.items():
        if isinstance(name, str):
            values = value if isinstance(value, list) else [value]
            headers[name.lower()] = (name, ",".join(_text(v) for v in values))
    return headers


def _query(raw: Any) -> dict[str, tuple[str, ...]]:
    if isinstance(raw, str):  # v2: the query string as sent
        return {
            name: tuple(values) for name, values in parse_qs(raw, keep_blank_values=True).items()
        }
    if not isinstance(raw, Mapping):
        return {}
    return {
        name: tuple(_text(v) for v in (values if isinstance(values, list) else [values]))
        for name, values in raw.items()
        if isinstance(name, str)
    }


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "" if value is None else json.dumps(value)


def _body(message: Mapping[str, Any], *, v4: bool, side: str, problems: list[Mismatch]) -> Body:
    raw = message.get("body")
    if raw is None:
        return Body()
    content_type = None
    if v4 and isinstance(raw, Mapping) and "content" in raw:
        content_type = raw.get("contentType") if isinstance(raw.get("contentType"), str) else None
        raw = _v4_content(raw.get("content"), raw.get("encoded"), content_type)
        if raw is None:
            return Body(content_type=content_type)
    if _deeper_than(raw, MAX_BODY_DEPTH):
        problems.append(
            Mismatch.of(
                f"{side}.body.incompatible",
                "body",
                "$",
                f"the pact's {side} body nests deeper than {MAX_BODY_DEPTH} levels; "
                "it was not compared",
            )
        )
        return Body()
    return Body(present=True, value=raw, content_type=content_type)


def _v4_content(content: Any, encoded: Any, content_type: str | None) -> Any:
    if not isinstance(content, str) or not encoded:
        return content
    try:
        if isinstance(encoded, str) and encoded.upper() == "JSON":
            return json.loads(content)
        text = base64.b64decode(content, validate=True).decode("utf-8")
        return json.loads(text) if content_type and "json" in content_type.lower() else text
    except (ValueError, binascii.Error, RecursionError):
        return content  # as the reference: what cannot be decoded is compared as written


def _deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, Mapping):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return False


def _path_problem(attribute: str, identifier: str, description: str) -> Mismatch:
    return Mismatch.of("request.path-or-method.unknown", attribute, identifier, description)


def _unreadable(description: str, problem: str) -> HttpInteraction:
    return HttpInteraction(description=description, problems=(_path_problem("path", "", problem),))
