"""``/integrations`` (who talks to whom) and ``/metrics`` (how much the broker holds)."""

from __future__ import annotations

from fastapi import APIRouter

from contract_broker.api.deps import SessionDep, UrlsDep
from contract_broker.api.representations.integration import integrations_json, metrics_json
from contract_broker.hal import HalResponse
from contract_broker.services import integrations as service
from contract_broker.services import metrics as metrics_service

__all__ = ["router"]

router = APIRouter(tags=["integrations"])


@router.get("/integrations", response_class=HalResponse)
def list_integrations(session: SessionDep, urls: UrlsDep) -> HalResponse:
    """Every consumer/provider pair with a pact, its latest pact and verification status."""
    return HalResponse(integrations_json(service.integrations(session), urls))


@router.get("/metrics", response_class=HalResponse)
def metrics(session: SessionDep, urls: UrlsDep) -> HalResponse:
    """Row counts of what the broker stores."""
    return HalResponse(metrics_json(metrics_service.counts(session), urls))
