"""One pact: by consumer version (GET, legacy PUT/PATCH), by content SHA, or the latest."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from contract_broker.api.deps import Name, SessionDep, SettingsDep, UrlsDep, read_json
from contract_broker.api.representations.pact import pact_json
from contract_broker.hal import HalResponse, Urls
from contract_broker.services import pacts as service
from contract_broker.services import publish
from contract_broker.services.content import check_pact
from contract_broker.services.pacts import PactDetail

__all__ = ["PAIR", "router"]

router = APIRouter(prefix="/pacts", tags=["pacts"])

PAIR = "/provider/{provider}/consumer/{consumer}"


@router.get(PAIR + "/version/{version}", response_class=HalResponse)
@router.get(PAIR + "/versions/{version}", response_class=HalResponse, include_in_schema=False)
def get_pact(
    provider: Name, consumer: Name, version: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    detail = service.get_pact(session, provider, consumer, version=version)
    return HalResponse(pact_json(detail, urls))


async def _pact_body(request: Request) -> dict[str, Any]:
    return check_pact(await read_json(request), field="pact")


@router.put(PAIR + "/version/{version}", response_class=HalResponse)
@router.patch(PAIR + "/version/{version}", response_class=HalResponse)
def put_pact(
    provider: Name,
    consumer: Name,
    version: Name,
    request: Request,
    content: Annotated[dict[str, Any], Depends(_pact_body)],
    session: SessionDep,
    settings: SettingsDep,
    urls: UrlsDep,
) -> HalResponse:
    """Legacy publish: PUT stores (201 new, 200 existing, 409 changed); PATCH merges."""
    published = publish.publish_pact(
        session,
        settings,
        provider_name=provider,
        consumer_name=consumer,
        version_number=version,
        content=content,
        merge=request.method == "PATCH",
        base_url=urls.base,
    )
    body = pact_json(published.detail, urls)
    if published.outcome != "created":
        return HalResponse(body)
    return HalResponse.created(body)


@router.get(PAIR + "/pact-version/{sha}", response_class=HalResponse)
def get_pact_by_sha(
    provider: Name, consumer: Name, sha: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    detail = service.get_pact_by_sha(session, provider, consumer, sha)
    return HalResponse(pact_json(detail, urls, self_url=urls.pact_version(provider, consumer, sha)))


@router.get(PAIR + "/pact-version/{sha}/metadata/{metadata}", response_class=HalResponse)
def get_pact_by_sha_with_metadata(
    provider: Name, consumer: Name, sha: Name, metadata: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    """The URL for-verification and webhooks hand out: results posted here carry the metadata."""
    detail = service.get_pact_by_sha(session, provider, consumer, sha)
    self_url = urls.pact_version(provider, consumer, sha, metadata)
    return HalResponse(pact_json(detail, urls, self_url=self_url, metadata=metadata))


# A header value is visible ASCII or UTF-8 bytes, with spaces and tabs only between them.
_HEADER_VALUE = re.compile(rb"[\x21-\x7e\x80-\xff]([\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?")


def _respond_latest(detail: PactDetail, urls: Urls, self_url: str | None = None) -> HalResponse:
    """A latest pact, with ``X-Pact-Consumer-Version`` naming the version it was chosen from.

    As the Pact Broker's ``LatestPact`` resource does. A number that cannot be a header value
    (a control character, surrounding spaces) is left out rather than breaking the response.
    """
    response = HalResponse(pact_json(detail, urls, self_url=self_url))
    number = detail.pact.consumer_version.number.encode()
    if _HEADER_VALUE.fullmatch(number):
        response.raw_headers.append((b"x-pact-consumer-version", number))
    return response


@router.get(PAIR + "/latest-untagged", response_class=HalResponse)
def get_latest_untagged_pact(
    provider: Name, consumer: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    detail = service.get_pact(session, provider, consumer, untagged=True)
    return _respond_latest(
        detail, urls, self_url=urls.latest_pact(provider, consumer) + "-untagged"
    )


@router.get(PAIR + "/latest", response_class=HalResponse)
def get_latest_pact(
    provider: Name, consumer: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    detail = service.get_pact(session, provider, consumer)
    return _respond_latest(detail, urls, self_url=urls.latest_pact(provider, consumer))


@router.get(PAIR + "/latest/{tag}", response_class=HalResponse)
def get_latest_tagged_pact(
    provider: Name, consumer: Name, tag: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    detail = service.get_pact(session, provider, consumer, tag=tag)
    self_url = urls.latest_pact(provider, consumer) + "/" + urls.quote(tag)
    return _respond_latest(detail, urls, self_url=self_url)


@router.get(PAIR + "/branch/{branch}/latest", response_class=HalResponse)
def get_latest_branch_pact(
    provider: Name, consumer: Name, branch: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    detail = service.get_pact(session, provider, consumer, branch=branch)
    return _respond_latest(detail, urls)
