"""Does the consumer's request fit the operation: media types, credentials, body, headers, query.

The reference's rules and severities. A request whose expected response is an error (status
400 or above) is the consumer testing a bad request on purpose, so, as in the reference, its
credentials, body, headers and query are not held against the operation.
"""

from __future__ import annotations

from contract_broker.services.provider_contracts.findings import (
    body_findings,
    parameter_findings,
)
from contract_broker.services.provider_contracts.media_types import is_json, matching_type
from contract_broker.services.provider_contracts.operations import Operation
from contract_broker.services.provider_contracts.pact import HttpInteraction
from contract_broker.services.provider_contracts.results import Mismatch
from contract_broker.services.provider_contracts.schemas import SchemaSet

__all__ = ["request_findings"]

STANDARD_REQUEST_HEADERS = frozenset(
    [
        "accept",
        "accept-charset",
        "accept-datetime",
        "accept-encoding",
        "accept-language",
        "authorization",
        "cache-control",
        "connection",
        "content-length",
        "content-md5",
        "content-type",
        "cookie",
        "date",
        "expect",
        "forwarded",
        "from",
        "host",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-range",
        "if-unmodified-since",
        "max-forwards",
        "origin",
        "pragma",
        "proxy-authorization",
        "range",
        "referer",
        "te",
        "upgrade",
        "user-agent",
        "via",
        "warning",
    ]
)


def request_findings(
    interaction: HttpInteraction, operation: Operation, schemas: SchemaSet
) -> list[Mismatch]:
    """Every way the interaction's request does not fit ``operation``."""
    found = _content_type(interaction, operation) + _accept(interaction, operation)
    if interaction.status is not None and interaction.status >= 400:
        return found
    return (
        found
        + _security(interaction, operation)
        + _body(interaction, operation, schemas)
        + _headers(interaction, operation, schemas)
        + _query(interaction, operation, schemas)
    )


def _content_type(interaction: HttpInteraction, operation: Operation) -> list[Mismatch]:
    header = interaction.request_headers.get("content-type")
    consumes = list(operation.body or {})
    if not consumes:
        if header is None:
            return []
        return [
            Mismatch.of(
                "request.content-type.unknown",
                "header",
                header[0],
                f"the request's Content-Type is {header[1]} but {operation.label} documents no "
                "request body media types",
            )
        ]
    if header is None:
        if not interaction.request_body.present:
            return []
        return [
            Mismatch.of(
                "request.content-type.missing",
                "header",
                "Content-Type",
                f"the request has a body but no Content-Type; {operation.label} accepts "
                f"{', '.join(consumes)}",
            )
        ]
    if matching_type(header[1], consumes) is None:
        return [
            Mismatch.of(
                "request.content-type.incompatible",
                "header",
                header[0],
                f"the request's Content-Type {header[1]} is not one {operation.label} accepts "
                f"({', '.join(consumes)})",
            )
        ]
    return []


def _accept(interaction: HttpInteraction, operation: Operation) -> list[Mismatch]:
    header = interaction.request_headers.get("accept")
    if header is None or not header[1]:
        return []
    produces = operation.produces
    if not produces:
        return [
            Mismatch.of(
                "request.accept.unknown",
                "header",
                header[0],
                f"the request accepts {header[1]} but {operation.label} documents no response "
                "media types",
            )
        ]
    if any(matching_type(t, produces) for t in header[1].split(",")):
        return []
    return [
        Mismatch.of(
            "request.accept.incompatible",
            "header",
            header[0],
            f"the request accepts {header[1]} but {operation.label} responds with "
            f"{', '.join(dict.fromkeys(produces))}",
        )
    ]


def _security(interaction: HttpInteraction, operation: Operation) -> list[Mismatch]:
    missing_per_group = [
        [
            credential
            for credential in group
            if (
                credential.location == "header"
                and credential.name.lower() not in interaction.request_headers
            )
            or (credential.location == "query" and credential.name not in interaction.query)
        ]
        for group in operation.security
    ]
    if not missing_per_group or any(not missing for missing in missing_per_group):
        return []
    return [
        Mismatch.of(
            "request.authorization.missing",
            credential.location,
            credential.name,
            f"{operation.label} requires the credential in {credential.location} "
            f"{credential.name}; the pact's request does not send it",
        )
        for credential in missing_per_group[0]
    ]


def _body(interaction: HttpInteraction, operation: Operation, schemas: SchemaSet) -> list[Mismatch]:
    body, content = interaction.request_body, operation.body
    if not body.present and (content is None or not operation.body_required):
        return []
    if content is not None and content and not is_json(list(content)):
        return []  # only JSON bodies are compared, as in the reference
    header = interaction.request_headers.get("content-type")
    media_type = matching_type(header[1] if header else "application/json", list(content or {}))
    pointer = (content or {}).get(media_type) if media_type else None
    if pointer is None:
        return [
            Mismatch.of(
                "request.body.unknown",
                "body",
                "$",
                f"the pact's request has a body but {operation.label} documents no schema for it",
            )
        ]
    if not body.present:
        return [
            Mismatch.of(
                "request.body.incompatible",
                "body",
                "$",
                f"{operation.label} requires a request body; the pact's request has none",
            )
        ]
    return body_findings(schemas, pointer, body.value, side="request", operation=operation.label)


def _headers(
    interaction: HttpInteraction, operation: Operation, schemas: SchemaSet
) -> list[Mismatch]:
    documented = operation.parameters_in("header")
    security = {
        c.name.lower() for group in operation.security for c in group if c.location == "header"
    }
    found = []
    for name in dict.fromkeys([*interaction.request_headers, *documented]):
        sent = interaction.request_headers.get(name)
        parameter = documented.get(name)
        if parameter is None:
            if sent and name not in STANDARD_REQUEST_HEADERS and name not in security:
                found.append(
                    Mismatch.of(
                        "request.header.unknown",
                        "header",
                        sent[0],
                        f"request header {sent[0]} is not defined by {operation.label}",
                    )
                )
            continue
        found += parameter_findings(
            schemas,
            parameter,
            None if sent is None else (sent[1],),
            rule="request.header.incompatible",
            what="request header",
            operation=operation.label,
        )
    return found


def _query(
    interaction: HttpInteraction, operation: Operation, schemas: SchemaSet
) -> list[Mismatch]:
    documented = operation.parameters_in("query")
    security = {c.name for group in operation.security for c in group if c.location == "query"}
    found = []
    for name in dict.fromkeys([*interaction.query, *documented]):
        parameter = documented.get(name)
        if parameter is None:
            if name not in security:
                found.append(
                    Mismatch.of(
                        "request.query.unknown",
                        "query",
                        name,
                        f"query parameter {name} is not defined by {operation.label}",
                    )
                )
            continue
        found += parameter_findings(
            schemas,
            parameter,
            interaction.query.get(name),
            rule="request.query.incompatible",
            what="query parameter",
            operation=operation.label,
        )
    return found
