"""The operations of an OpenAPI 3 document, in the shape the rules compare against.

Component ``$ref``s (parameters, request bodies, responses, headers, security schemes) are
followed here; schemas are kept as JSON pointers into the document, so that each side's view
of the document (see ``views``) validates them with its own rewrites. Any part of the document
that is not what OpenAPI says is read as absent: a document handed to ``compare`` need not have
gone through ``parse_document``.

Servers are not read, as in the reference: a path in the pact is compared with the path
templates as written under ``paths``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contract_broker.services.provider_contracts.views import METHODS, resolve_ref

__all__ = ["Credential", "Operation", "Parameter", "Response", "operations"]


@dataclass(frozen=True)
class Parameter:
    """A path, query or header parameter (or a response header); ``schema`` is a pointer."""

    name: str
    location: str
    required: bool
    schema: str | None  # None: any value will do


@dataclass(frozen=True)
class Response:
    """A documented response: its media types (each with a schema pointer) and headers."""

    content: Mapping[str, str | None]
    headers: Mapping[str, Parameter]  # by lower-cased name


@dataclass(frozen=True)
class Credential:
    """Where a security scheme expects its credential: a header or query name, else nowhere."""

    location: str  # "header", "query" or "unsupported"
    name: str  # as the document writes it (header names compare case-insensitively)


@dataclass(frozen=True)
class Operation:
    """One method on one path template."""

    method: str
    path: str
    parameters: Mapping[tuple[str, str], Parameter]  # (location, name; lower-cased for headers)
    body: Mapping[str, str | None] | None  # the request body's media types, None: no body
    body_required: bool
    responses: Mapping[str, Response]
    security: tuple[tuple[Credential, ...], ...]  # any one group, all of its credentials

    @property
    def label(self) -> str:
        """``GET /users/{id}``: how findings name the operation."""
        return f"{self.method.upper()} {self.path}"

    @property
    def segments(self) -> list[str]:
        return [s for s in self.path.split("/") if s]

    @property
    def produces(self) -> list[str]:
        """Every media type any response documents (what an Accept header may ask for)."""
        return [t for r in self.responses.values() for t in r.content]

    def parameters_in(self, location: str) -> dict[str, Parameter]:
        return {name: p for (where, name), p in self.parameters.items() if where == location}


def operations(document: Any) -> list[Operation]:
    """Every operation, those on paths without parameters first (they win, as in the reference)."""
    paths = _mapping(_mapping(document).get("paths"))
    found = []
    for path, raw_item in paths.items():
        item, item_pointer = _deref(document, raw_item, f"/paths/{_escape(path)}")
        for method in METHODS:
            if isinstance(item.get(method), dict):
                found.append(_operation(document, path, (item, item_pointer), method))
    return sorted(found, key=lambda op: any(s.startswith("{") for s in op.segments))


def _operation(
    document: Any, path: str, located_item: tuple[dict[str, Any], str], method: str
) -> Operation:
    item, item_pointer = located_item
    raw, pointer = _deref(document, item[method], f"{item_pointer}/{method}")
    parameters: dict[tuple[str, str], Parameter] = {}
    for owner, owner_pointer in ((item, item_pointer), (raw, pointer)):
        for index, entry in enumerate(_list(owner.get("parameters"))):
            parameter = _parameter(document, entry, f"{owner_pointer}/parameters/{index}")
            if parameter is not None:
                name = parameter.name.lower() if parameter.location == "header" else parameter.name
                parameters[(parameter.location, name)] = parameter
    body, body_pointer = _deref(document, raw.get("requestBody"), f"{pointer}/requestBody")
    responses = {
        str(status): _response(document, response, f"{pointer}/responses/{_escape(str(status))}")
        for status, response in _mapping(raw.get("responses")).items()
    }
    return Operation(
        method=method,
        path=path,
        parameters=parameters,
        body=_content(body, body_pointer) if "requestBody" in raw else None,
        body_required=body.get("required") is True,
        responses=responses,
        security=_security(document, raw),
    )


def _parameter(document: Any, entry: Any, pointer: str) -> Parameter | None:
    raw, pointer = _deref(document, entry, pointer)
    name, location = raw.get("name"), raw.get("in")
    if not isinstance(name, str) or location not in ("path", "query", "header"):
        return None  # cookies are not compared (nor by the reference)
    return Parameter(name, location, raw.get("required") is True, _schema_of(raw, pointer))


def _response(document: Any, entry: Any, pointer: str) -> Response:
    raw, pointer = _deref(document, entry, pointer)
    headers = {}
    for name, header in _mapping(raw.get("headers")).items():
        header_raw, header_pointer = _deref(document, header, f"{pointer}/headers/{_escape(name)}")
        required = header_raw.get("required") is True
        schema = _schema_of(header_raw, header_pointer)
        headers[name.lower()] = Parameter(name, "header", required, schema)
    return Response(content=_content(raw, pointer), headers=headers)


def _schema_of(raw: dict[str, Any], pointer: str) -> str | None:
    """A parameter's schema; None (anything) for ``content`` parameters, as the reference."""
    return f"{pointer}/schema" if isinstance(raw.get("schema"), dict) else None


def _content(raw: dict[str, Any], pointer: str) -> dict[str, str | None]:
    content = _mapping(raw.get("content"))
    return {
        media_type: (
            f"{pointer}/content/{_escape(media_type)}/schema"
            if isinstance(_mapping(media).get("schema"), dict | bool)
            else None
        )
        for media_type, media in content.items()
    }


def _security(document: Any, raw: dict[str, Any]) -> tuple[tuple[Credential, ...], ...]:
    requirements = raw.get("security", _mapping(document).get("security"))
    schemes = _mapping(_mapping(_mapping(document).get("components")).get("securitySchemes"))
    groups = []
    for requirement in _list(requirements):
        group = []
        for name in _mapping(requirement):
            scheme, _ = _deref(document, schemes.get(name), "")
            kind, where, key = scheme.get("type"), scheme.get("in"), scheme.get("name")
            if kind == "apiKey" and where in ("header", "query") and isinstance(key, str):
                group.append(Credential(where, key))
            elif kind == "http":
                group.append(Credential("header", "Authorization"))
            else:
                group.append(Credential("unsupported", name))
        groups.append(tuple(group))
    return tuple(groups)


def _deref(document: Any, node: Any, pointer: str) -> tuple[dict[str, Any], str]:
    """A component with its ``$ref``s followed, and the pointer where it lives ({} if nowhere)."""
    target, ref_pointer = resolve_ref(document, node)
    return _mapping(target), pointer if ref_pointer is None else ref_pointer


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
