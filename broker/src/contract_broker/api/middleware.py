"""ASGI middleware: slash-safe path segments and one log line per request."""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import unquote

from contract_broker.api.deps import ENCODED_SLASH
from contract_broker.hal import HalResponse

__all__ = ["RequestLog", "SlashSafePaths"]

log = logging.getLogger("contract_broker.access")

Scope = dict[str, Any]


class SlashSafePaths:
    """Decode the path segment by segment, so an encoded ``/`` stays inside its segment.

    Starlette routes on the decoded path, where ``a%2Fb`` would become two segments; the Pact
    Broker treats it as one name. The slash travels as a private-use character that
    ``deps.Name`` turns back into ``/``.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            raw = scope.get("raw_path")
            if raw and b"%2f" in raw.lower():
                path = raw.split(b"?", 1)[0].decode("latin-1")
                segments = [
                    unquote(part, errors="replace").replace("/", ENCODED_SLASH)
                    for part in path.split("/")
                ]
                scope = {**scope, "path": "/".join(segments)}
        await self.app(scope, receive, send)


class RequestLog:
    """``METHOD path status duration`` for every request (never headers: they carry secrets).

    The outermost layer, so it also answers for the layers outside FastAPI's error handlers:
    an exception there becomes a 500 with a JSON error body, not the server's plain text.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        answered = False

        async def capture(message: dict[str, Any]) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status = message["status"]
                answered = True
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except Exception:
            if answered:  # FastAPI answered already and re-raises for the server to log
                raise
            log.exception("unexpected error on %s %s", scope["method"], scope["path"])
            await _internal_error(send)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            log.info("%s %s %d %.1fms", scope["method"], scope["path"], status, elapsed)


async def _internal_error(send: Any) -> None:
    payload = json.dumps({"error": "internal error; the broker log has the details"}).encode()
    headers = [
        (b"content-type", HalResponse.media_type.encode()),
        (b"content-length", str(len(payload)).encode()),
    ]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
