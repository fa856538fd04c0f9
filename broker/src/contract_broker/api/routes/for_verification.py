"""``GET|POST /pacts/provider/{provider}/for-verification``: what the verifier asks for."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from contract_broker.api.deps import JsonBody, Name, SessionDep, UrlsDep
from contract_broker.api.representations.for_verification import (
    for_verification_index_json,
    pacts_for_verification_json,
)
from contract_broker.errors import Invalid
from contract_broker.hal import HalResponse, Urls
from contract_broker.services import for_verification as service
from contract_broker.services.pacticipants import get_provider

__all__ = ["router"]

router = APIRouter(prefix="/pacts/provider/{provider}/for-verification", tags=["verification"])


def _respond(
    session: Session, urls: Urls, provider: str, query: service.Query, *, deprecated_get: bool
) -> HalResponse:
    pacts = service.pacts_for_verification(session, provider, query)
    return HalResponse(
        pacts_for_verification_json(
            pacts, urls, provider=provider, query=query, deprecated_get=deprecated_get
        )
    )


@router.get("", response_class=HalResponse)
def for_verification_index(
    provider: Name, request: Request, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    """The verifier GETs this first, then POSTs its selectors to ``_links.self``."""
    get_provider(session, provider)
    query = _from_query_string(request)
    if query is None:
        return HalResponse(for_verification_index_json(provider, urls))
    return _respond(session, urls, provider, query, deprecated_get=True)


@router.post("", response_class=HalResponse)
def for_verification(
    provider: Name, body: JsonBody, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    return _respond(session, urls, provider, service.parse_query(body), deprecated_get=False)


def _from_query_string(request: Request) -> service.Query | None:
    """The deprecated GET form (``consumer_version_selectors[][tag]=...`` and friends)."""
    params = request.query_params
    if not params:
        return None
    for key, value in params.multi_items():
        if "\x00" in key or "\x00" in value:
            # No name can hold one (PostgreSQL text cannot), as in a JSON body (api.deps).
            where = key.replace("\x00", "\\u0000")
            raise Invalid({where: ["cannot contain a NUL character (\\u0000)"]})
    selectors: list[dict[str, Any]] = []
    for key, value in params.multi_items():
        if key.startswith("consumer_version_selectors[]["):
            field = key.removeprefix("consumer_version_selectors[][").rstrip("]")
            camel = "".join(p if i == 0 else p.capitalize() for i, p in enumerate(field.split("_")))
            if not selectors or camel in selectors[-1]:
                selectors.append({})
            selectors[-1][camel] = value
    body: dict[str, Any] = {
        "consumerVersionSelectors": selectors,
        "providerVersionTags": params.getlist("provider_version_tags[]"),
    }
    if params.get("include_pending_status") is not None:
        body["includePendingStatus"] = params["include_pending_status"]
    if params.get("include_wip_pacts_since") is not None:
        body["includeWipPactsSince"] = params["include_wip_pacts_since"]
    if params.get("provider_version_branch") is not None:
        body["providerVersionBranch"] = params["provider_version_branch"]
    return service.parse_query(body)
