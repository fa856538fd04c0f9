"""Verification results of a pact's content: published by the verifier, read back by number."""

from __future__ import annotations

from fastapi import APIRouter

from contract_broker.api.deps import JsonBody, Name, SessionDep, SettingsDep, UrlsDep
from contract_broker.api.representations.verification import verification_json
from contract_broker.api.routes.pacts import PAIR
from contract_broker.hal import HalResponse
from contract_broker.services import verifications as service

__all__ = ["router"]

router = APIRouter(prefix="/pacts", tags=["pacts"])

RESULTS = PAIR + "/pact-version/{sha}/verification-results"


@router.post(RESULTS, response_class=HalResponse, status_code=201)
@router.post(
    PAIR + "/pact-version/{sha}/metadata/{metadata}/verification-results",
    response_class=HalResponse,
    status_code=201,
)
def publish_verification(
    provider: Name,
    consumer: Name,
    sha: Name,
    body: JsonBody,
    session: SessionDep,
    settings: SettingsDep,
    urls: UrlsDep,
    metadata: str | None = None,
) -> HalResponse:
    """Record a verification of this pact content: 201 with the result."""
    view = service.publish_verification(
        session,
        settings,
        provider_name=provider,
        consumer_name=consumer,
        sha=sha,
        body=body,
        metadata=metadata,
        base_url=urls.base,
    )
    return HalResponse.created(verification_json(view, urls))


@router.get(RESULTS + "/latest", response_class=HalResponse)
def latest_verification(
    provider: Name, consumer: Name, sha: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    view = service.latest_verification(session, provider, consumer, sha)
    return HalResponse(verification_json(view, urls))


@router.get(RESULTS + "/{number}", response_class=HalResponse)
def get_verification(
    provider: Name, consumer: Name, sha: Name, number: int, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    view = service.find_verification(session, provider, consumer, sha, number)
    return HalResponse(verification_json(view, urls))
