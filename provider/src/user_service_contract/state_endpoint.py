"""A provider-state endpoint for a running provider (the verifier POSTs state changes to it).

Mounted only by the harness (``python -m user_service_contract.serve``), never by the
production app.
"""

from __future__ import annotations

import json
from typing import Any

from user_service.main import create_app
from user_service_contract.states import FreshRepository, ProviderStates
from user_service_contract.variants import Variant, breaking

__all__ = ["STATE_CHANGE_PATH", "app_with_states", "with_state_endpoint"]

STATE_CHANGE_PATH = "/_pact/provider-states"


def with_state_endpoint(app: Any, states: ProviderStates) -> Any:
    """``app`` with ``POST /_pact/provider-states`` answered before it (plain ASGI).

    The verifier calls it twice per interaction (setup, teardown): answering it here skips the
    framework's routing, validation and thread hop, which cost more than the state change.
    """

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != STATE_CHANGE_PATH:
            await app(scope, receive, send)
            return
        if scope["method"] != "POST":
            await _answer(send, 405, b'{"detail":"Method Not Allowed"}')
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            await _answer(send, 422, b'{"detail":"the body must be a JSON object"}')
            return
        state, action, params = payload.get("state"), payload.get("action"), payload.get("params")
        states(
            state if isinstance(state, str) else "",
            action if action in {"setup", "teardown"} else "setup",
            params if isinstance(params, dict) else {},
        )
        await _answer(send, 200, b"{}")

    return wrapped


async def _answer(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def app_with_states(variant: Variant | None = None) -> tuple[Any, ProviderStates]:
    """The real app on a fresh repository, with the state endpoint (and ``variant``'s change).

    Returns the ASGI app and its ``ProviderStates``, whose ``problems`` the run reports and
    whose ``reset`` gives the app a freshly seeded repository (before each pact).
    """
    repository = FreshRepository()
    states = ProviderStates(repository)
    app: Any = create_app(repository)
    app = breaking(app, variant) if variant is not None else app
    return with_state_endpoint(app, states), states
