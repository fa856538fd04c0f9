"""One router per resource; ``ROUTERS`` in the order they are mounted."""

from __future__ import annotations

from fastapi import APIRouter

from contract_broker.api.routes import (
    badges,
    diagnostic,
    environments,
    for_verification,
    index,
    integrations,
    labels,
    matrix,
    pact_diffs,
    pact_lists,
    pacticipants,
    pacts,
    provider_contracts,
    publish,
    verification_results,
    webhooks,
)

ROUTERS: tuple[APIRouter, ...] = (
    index.router,
    diagnostic.router,
    publish.router,
    provider_contracts.router,
    badges.router,  # before pacts: ".../latest/badge" is not the tag "badge"
    for_verification.router,
    pacts.router,
    pact_diffs.router,
    verification_results.router,
    pact_lists.router,
    labels.router,  # before pacticipants: "/pacticipants/label/{label}" is not a pacticipant
    pacticipants.router,
    environments.router,
    matrix.router,
    webhooks.router,
    integrations.router,
)
