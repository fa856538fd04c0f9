"""Breaking variants of the provider: the same app with one change a consumer would not survive.

They prove that verification catches such changes (tests, ``invoke ci --breaking``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import StrEnum
from typing import Any

__all__ = ["Variant", "breaking"]

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
