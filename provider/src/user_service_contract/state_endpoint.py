"""A provider-state endpoint for a running provider (the verifier POSTs state changes to it).

Mounted only by the harness (``python -m user_service_contract.serve``), never by the
production app.
"""

from __future__ import annotations

from typing import Any

from fastapi import Body, FastAPI

from user_service.main import create_app
from user_service.repository import InMemoryUserRepository
from user_service_contract.states import ProviderStates
from user_service_contract.variants import Variant, breaking

__all__ = ["STATE_CHANGE_PATH", "add_state_endpoint", "app_with_states"]

STATE_CHANGE_PATH = "/_pact/provider-states"


def add_state_endpoint(app: FastAPI, states: ProviderStates) -> None:
    """Add ``POST /_pact/provider-states`` applying ``states``; it always answers 200."""

    def change_state(payload: dict[str, Any] = Body(default_factory=dict)) -> dict[str, Any]:  # noqa: B008
        state = payload.get("state")
        action = payload.get("action", "setup")
        params = payload.get("params")
        states(
            state if isinstance(state, str) else "",
            action if action in {"setup", "teardown"} else "setup",
            params if isinstance(params, dict) else {},
        )
        return {}

    app.add_api_route(STATE_CHANGE_PATH, change_state, methods=["POST"], include_in_schema=False)


def app_with_states(variant: Variant | None = None) -> tuple[Any, ProviderStates]:
    """The real app on a fresh repository, with the state endpoint (and ``variant``'s change).

    Returns the ASGI app and its ``ProviderStates``, whose ``problems`` the run reports.
    """
    repository = InMemoryUserRepository()
    states = ProviderStates(repository)
    app = create_app(repository)
    add_state_endpoint(app, states)
    return (breaking(app, variant) if variant is not None else app), states
