"""Lists of pacts: a pair's versions, the latest of every integration, a provider's pacts."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from contract_broker.api.deps import Name, SessionDep, UrlsDep
from contract_broker.api.representations.pact import (
    all_pact_versions_json,
    latest_pacts_json,
    pact_versions_json,
    provider_pacts_json,
)
from contract_broker.api.routes.pacts import PAIR
from contract_broker.hal import HalResponse, Urls
from contract_broker.services import pacts as service

__all__ = ["router"]

router = APIRouter(prefix="/pacts", tags=["pacts"])


@router.get(PAIR + "/versions", response_class=HalResponse)
def get_all_pact_versions(
    provider: Name, consumer: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    """Every pact between the two (newest first, at most 100)."""
    views = service.pacts_of_pair(session, provider, consumer)
    return HalResponse(all_pact_versions_json(views, urls, provider=provider, consumer=consumer))


@router.get("/latest", response_class=HalResponse)
def latest_pacts(session: SessionDep, urls: UrlsDep) -> HalResponse:
    """The latest pact of every integration (``list-latest-pact-versions``)."""
    return HalResponse(latest_pacts_json(service.latest_pacts(session), urls))


@router.get("/provider/{provider}/latest", response_class=HalResponse)
def latest_provider_pacts(provider: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    """What ``pact verifier --broker-url`` without selectors reads (the deprecated ``pacts``)."""
    views = service.latest_pacts(session, provider)
    return HalResponse(
        provider_pacts_json(
            views,
            urls,
            provider=provider,
            self_url=urls("pacts", "provider", provider, "latest"),
            title=f"Latest pact versions for the provider {provider}",
        )
    )


@router.get("/provider/{provider}/latest/{tag}", response_class=HalResponse)
def latest_provider_pacts_with_tag(
    provider: Name, tag: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    views = service.latest_pacts(session, provider, tag=tag)
    return HalResponse(
        provider_pacts_json(
            views,
            urls,
            provider=provider,
            self_url=urls("pacts", "provider", provider, "latest", tag),
            title=f"Latest pact versions for the provider {provider} with tag {tag}",
        )
    )


def _branch_pacts(
    session: Session, urls: Urls, provider: str, branch: str | None, *, latest: bool
) -> HalResponse:
    views = service.pacts_for_consumer_branch(session, provider, branch=branch, latest=latest)
    path = ["pacts", "provider", provider, "branch", *([branch] if branch else [])]
    title = "Latest pact versions" if latest else "All pact versions"
    suffix = f" with consumer version branch '{branch}'" if branch else ""
    return HalResponse(
        provider_pacts_json(
            views,
            urls,
            provider=provider,
            self_url=urls(*path, *(["latest"] if latest else [])),
            title=f"{title} for the provider {provider}{suffix}",
        )
    )


# ``branch/latest`` is declared before ``branch/{branch}``: as in the Pact Broker, it wins.
@router.get("/provider/{provider}/branch/latest", response_class=HalResponse)
def latest_main_branch_provider_pacts(
    provider: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    """The pact of the head of each consumer's main branch (``get-pacts --latest``)."""
    return _branch_pacts(session, urls, provider, None, latest=True)


@router.get("/provider/{provider}/branch", response_class=HalResponse)
def main_branch_provider_pacts(provider: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    """The pacts of every version on each consumer's main branch (``get-pacts``)."""
    return _branch_pacts(session, urls, provider, None, latest=False)


@router.get("/provider/{provider}/branch/{branch}/latest", response_class=HalResponse)
def latest_branch_provider_pacts(
    provider: Name, branch: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    return _branch_pacts(session, urls, provider, branch, latest=True)


@router.get("/provider/{provider}/branch/{branch}", response_class=HalResponse)
def branch_provider_pacts(
    provider: Name, branch: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    return _branch_pacts(session, urls, provider, branch, latest=False)


def _pact_versions(
    session: Session,
    urls: Urls,
    provider: str,
    consumer: str,
    branch: str | None,
    *,
    latest: bool,
    self_url: str,
) -> HalResponse:
    views = service.pacts_for_consumer_branch(
        session, provider, branch=branch, latest=latest, consumer_name=consumer
    )
    return HalResponse(
        pact_versions_json(views, urls, provider=provider, consumer=consumer, self_url=self_url)
    )


# The index's consumer-branch relations; the literal paths are declared before "{branch}".
# ``branch`` and ``branch/latest`` (main branch) are what ``get-pacts --consumer`` requests.
@router.get(PAIR + "/branch/versions", response_class=HalResponse)
@router.get(PAIR + "/branch", response_class=HalResponse, include_in_schema=False)
def main_branch_pact_versions(
    provider: Name, consumer: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    self_url = urls("pacts", "provider", provider, "consumer", consumer, "branch", "versions")
    return _pact_versions(session, urls, provider, consumer, None, latest=False, self_url=self_url)


@router.get(PAIR + "/branch/latest/versions", response_class=HalResponse)
@router.get(PAIR + "/branch/latest", response_class=HalResponse, include_in_schema=False)
def latest_main_branch_pact_versions(
    provider: Name, consumer: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    path = ("pacts", "provider", provider, "consumer", consumer, "branch", "latest", "versions")
    return _pact_versions(
        session, urls, provider, consumer, None, latest=True, self_url=urls(*path)
    )


@router.get(PAIR + "/branch/{branch}/latest/versions", response_class=HalResponse)
def latest_branch_pact_versions(
    provider: Name, consumer: Name, branch: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    path = ("pacts", "provider", provider, "consumer", consumer, "branch", branch, "latest")
    self_url = urls(*path, "versions")
    return _pact_versions(session, urls, provider, consumer, branch, latest=True, self_url=self_url)


@router.get(PAIR + "/branch/{branch}", response_class=HalResponse)
def branch_pact_versions(
    provider: Name, consumer: Name, branch: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    self_url = urls("pacts", "provider", provider, "consumer", consumer, "branch", branch)
    return _pact_versions(
        session, urls, provider, consumer, branch, latest=False, self_url=self_url
    )
