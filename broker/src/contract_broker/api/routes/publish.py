"""``POST /contracts/publish``: what ``pact broker publish`` calls."""

from __future__ import annotations

from fastapi import APIRouter

from contract_broker.api.deps import JsonBody, SessionDep, SettingsDep, UrlsDep
from contract_broker.api.representations.publish import publish_result_json
from contract_broker.hal import HalResponse
from contract_broker.services import publish as service

__all__ = ["router"]

router = APIRouter(tags=["publish"])


@router.post("/contracts/publish", response_class=HalResponse)
def publish_contracts(
    body: JsonBody, session: SessionDep, settings: SettingsDep, urls: UrlsDep
) -> HalResponse:
    """Publish a version's contracts: 200 with notices; 409 (nothing stored) on changed content."""
    request = service.parse_publish_request(body)
    name, number = request.pacticipant_name, request.version_number
    result = service.publish_contracts(
        session,
        settings,
        request,
        pact_url=lambda provider: urls.pact(provider, name, number),
        base_url=urls.base,
    )
    return HalResponse(publish_result_json(result, urls, pacticipant=name, version=number))
