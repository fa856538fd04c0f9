"""Breaking variants of the provider: the same app with one change a consumer would not survive.

They prove that verification catches such changes (tests, ``invoke ci --breaking``), and that the
provider contract says so before any replay: ``breaking_document`` is the app's OpenAPI document
with the same change, so comparing a pact with it fails on the same field as replaying the pact.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from enum import StrEnum
from typing import Any

__all__ = ["USER_RESPONSE", "Variant", "breaking", "breaking_document", "user_schema"]

ASGIApp = Callable[..., Any]


class Variant(StrEnum):
    """How the variant breaks ``GET /users/{id}``."""

    USERNAME = "username"
    """Renames ``name`` to ``username``."""
    ID_AS_STRING = "id-string"
    """Returns ``id`` as a string."""


def _rename_name(user: dict[str, Any]) -> dict[str, Any]:
    return {("username" if key == "name" else key): value for key, value in user.items()}


def _id_as_string(user: dict[str, Any]) -> dict[str, Any]:
    return {**user, "id": str(user["id"])}


_CHANGES: dict[Variant, Callable[[dict[str, Any]], dict[str, Any]]] = {
    Variant.USERNAME: _rename_name,
    Variant.ID_AS_STRING: _id_as_string,
}

USER_RESPONSE = ("/users/{user_id}", "get", "200", "application/json")
"""Where the changed body is described in the document: path, method, status, media type."""


def _rename_name_property(schema: dict[str, Any]) -> None:
    schema["properties"] = _rename_name(schema["properties"])
    schema["required"] = ["username" if field == "name" else field for field in schema["required"]]


def _id_property_as_string(schema: dict[str, Any]) -> None:
    schema["properties"]["id"] = {**schema["properties"]["id"], "type": "string"}


_SCHEMA_CHANGES: dict[Variant, Callable[[dict[str, Any]], None]] = {
    Variant.USERNAME: _rename_name_property,
    Variant.ID_AS_STRING: _id_property_as_string,
}


def breaking(app: ASGIApp, variant: Variant) -> ASGIApp:
    """Wrap ``app`` so that successful ``/users/...`` JSON bodies carry ``variant``'s change."""
    change = _CHANGES[variant]

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/users/"):
            await app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            if start["status"] == 200:
                body = json.dumps(change(json.loads(body))).encode()
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await app(scope, receive, capture)

    return wrapped


def breaking_document(document: dict[str, Any], variant: Variant) -> dict[str, Any]:
    """A copy of the app's OpenAPI ``document`` whose user schema carries ``variant``'s change."""
    changed = copy.deepcopy(document)
    _SCHEMA_CHANGES[variant](user_schema(changed))
    return changed


def user_schema(document: dict[str, Any]) -> dict[str, Any]:
    """The schema of ``GET /users/{id}``'s 200 body in ``document`` (its ``$ref`` followed)."""
    path, method, status, media_type = USER_RESPONSE
    schema: dict[str, Any] = document["paths"][path][method]["responses"][status]["content"][
        media_type
    ]["schema"]
    ref = schema.get("$ref")
    if ref is None:
        return schema
    prefix = "#/components/schemas/"
    if not ref.startswith(prefix):
        raise ValueError(f"the user schema is a $ref outside {prefix}: {ref}")
    found: dict[str, Any] = document["components"]["schemas"][ref.removeprefix(prefix)]
    return found
