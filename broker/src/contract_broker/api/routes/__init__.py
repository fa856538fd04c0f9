"""One router per resource; ``ROUTERS`` in the order they are mounted."""

from __future__ import annotations

from fastapi import APIRouter

from contract_broker.api.routes import (
    environments,
    for_verification,
    index,
    matrix,
    pacticipants,
    pacts,
    publish,
    webhooks,
)

ROUTERS: tuple[APIRouter, ...] = (
    index.router,
    publish.router,
    for_verification.router,
    pacts.router,
    pacticipants.router,
    environments.router,
    matrix.router,
    webhooks.router,
)
