"""Provider contracts: ``pact pactflow publish-provider-contract`` publishes, clients read back."""

from __future__ import annotations

from fastapi import APIRouter

from contract_broker.api.deps import JsonBody, Name, SessionDep, SettingsDep, UrlsDep
from contract_broker.api.representations.provider_contract import (
    check_json,
    provider_contract_json,
    published_contract_json,
)
from contract_broker.hal import HalResponse
from contract_broker.services.provider_contracts import checking
from contract_broker.services.provider_contracts import publishing as service

__all__ = ["router"]

router = APIRouter(prefix="/provider-contracts/provider/{provider}", tags=["provider contracts"])


@router.post("/publish", response_class=HalResponse)
def publish_provider_contract(
    provider: Name, body: JsonBody, session: SessionDep, settings: SettingsDep, urls: UrlsDep
) -> HalResponse:
    """Store a provider version's OpenAPI document: 200 with notices (the comparisons made);
    400 for a bad request or document, 409 for another document for the same version."""
    request = service.parse_contract_request(body)
    result = service.publish_provider_contract(session, settings, provider, request)
    return HalResponse(published_contract_json(result, urls))


@router.get("/version/{version}", response_class=HalResponse)
def get_provider_contract(
    provider: Name, version: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    """The version's provider contract and the comparisons made with it."""
    view = service.find_provider_contract(session, provider, version)
    return HalResponse(provider_contract_json(view, urls))


@router.post("/check", response_class=HalResponse)
def check_pact(provider: Name, body: JsonBody, session: SessionDep, urls: UrlsDep) -> HalResponse:
    """Compare a pact (the body) with the provider's contracts in use now, storing nothing:
    what a consumer's build asks before it publishes (read-only, like pacts-for-verification)."""
    return HalResponse(check_json(checking.check_pact(session, provider, body), urls))
