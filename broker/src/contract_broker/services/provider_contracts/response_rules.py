"""Does the operation give the consumer the response it expects: status, media type, body, headers.

The reference's rules and severities; the response schema is read strictly (see ``views``): a
field the consumer expects that the document does not define is an error.
"""

from __future__ import annotations

from contract_broker.services.provider_contracts.findings import (
    body_findings,
    parameter_findings,
)
from contract_broker.services.provider_contracts.media_types import is_json, matching_type
from contract_broker.services.provider_contracts.operations import Operation, Response
from contract_broker.services.provider_contracts.pact import HttpInteraction
from contract_broker.services.provider_contracts.results import Mismatch
from contract_broker.services.provider_contracts.schemas import SchemaSet

__all__ = ["response_findings"]

STANDARD_RESPONSE_HEADERS = frozenset(
    [
        "access-control-allow-origin",
        "accept-patch",
        "accept-ranges",
        "age",
        "allow",
        "alt-svc",
        "cache-control",
        "connection",
        "content-disposition",
        "content-encoding",
        "content-language",
        "content-length",
        "content-location",
        "content-md5",
        "content-range",
        "date",
        "etag",
        "expires",
        "last-modified",
        "link",
        "location",
        "p3p",
        "pragma",
        "proxy-authenticate",
        "public-key-pins",
        "refresh",
        "retry-after",
        "server",
        "set-cookie",
        "status",
        "strict-transport-security",
        "trailer",
        "transfer-encoding",
        "tsv",
        "upgrade",
        "vary",
        "via",
        "warning",
        "www-authenticate",
        "x-frame-options",
    ]
)


def response_findings(
    interaction: HttpInteraction, operation: Operation, schemas: SchemaSet
) -> list[Mismatch]:
    """Every way ``operation``'s documented response differs from what the consumer expects."""
    status = interaction.status
    if status is None:
        return []  # already reported: the pact's response has no status
    key = _response_key(operation, status)
    if key is None:
        documented = ", ".join(operation.responses) or "none"
        return [
            Mismatch.of(
                "response.status.unknown",
                "status",
                str(status),
                f"response status {status} is not documented for {operation.label} "
                f"(documented: {documented})",
            )
        ]
    response = operation.responses[key]
    found = []
    if key == "default":
        found.append(
            Mismatch.of(
                "response.status.default",
                "status",
                str(status),
                f"response status {status} is documented for {operation.label} only by its "
                "default response",
            )
        )
    else:
        found += _content_type(interaction, operation, response, status)
    return (
        found
        + _body(interaction, operation, response, schemas, status)
        + _headers(interaction, operation, response, schemas)
    )


def _response_key(operation: Operation, status: int) -> str | None:
    """The exact status, else its range (``2XX``), else ``default``, else None."""
    ranged = f"{status // 100}XX"
    for key in (str(status), ranged, ranged.lower(), "default"):
        if key in operation.responses:
            return key
    return None


def _content_type(
    interaction: HttpInteraction, operation: Operation, response: Response, status: int
) -> list[Mismatch]:
    header = interaction.response_headers.get("content-type")
    content_type = header[1] if header else interaction.response_body.content_type
    if not content_type:
        return []
    name = header[0] if header else "Content-Type"
    if not response.content:
        if operation.method == "head":
            return []
        return [
            Mismatch.of(
                "response.content-type.unknown",
                "header",
                name,
                f"the response's Content-Type is {content_type} but {operation.label} documents "
                f"no media types for {status}",
            )
        ]
    if matching_type(content_type, list(response.content)) is None:
        return [
            Mismatch.of(
                "response.content-type.incompatible",
                "header",
                name,
                f"the response's Content-Type {content_type} is not one {operation.label} "
                f"documents for {status} ({', '.join(response.content)})",
            )
        ]
    return []


def _body(
    interaction: HttpInteraction,
    operation: Operation,
    response: Response,
    schemas: SchemaSet,
    status: int,
) -> list[Mismatch]:
    body = interaction.response_body
    # The reference skips "falsy" bodies (absent, "", 0, false) and bodies of other media types.
    if not body.present or body.value in ("", 0) or body.value is False:
        return []
    if response.content and not is_json(list(response.content)):
        return []
    accept = interaction.request_headers.get("accept")
    media_type = matching_type(accept[1] if accept else "application/json", list(response.content))
    pointer = response.content.get(media_type) if media_type else None
    if pointer is None:
        return [
            Mismatch.of(
                "response.body.unknown",
                "body",
                "$",
                f"the consumer expects a response body but {operation.label} documents no "
                f"schema for {status}",
            )
        ]
    return body_findings(schemas, pointer, body.value, side="response", operation=operation.label)


def _headers(
    interaction: HttpInteraction, operation: Operation, response: Response, schemas: SchemaSet
) -> list[Mismatch]:
    found = []
    for name, (written, value) in interaction.response_headers.items():
        if name == "content-type":
            continue
        parameter = response.headers.get(name)
        if parameter is None:
            standard = name in STANDARD_RESPONSE_HEADERS
            found.append(
                Mismatch.of(
                    "response.header.undefined" if standard else "response.header.unknown",
                    "header",
                    written,
                    f"response header {written} is not documented by {operation.label}",
                )
            )
            continue
        found += parameter_findings(
            schemas,
            parameter,
            (value,),
            rule="response.header.incompatible",
            what="response header",
            operation=operation.label,
        )
    return found
