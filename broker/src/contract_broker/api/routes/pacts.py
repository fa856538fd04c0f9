"""Pacts: fetch by consumer version, SHA or latest; lists; legacy publish; verification results."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse

from contract_broker.api.deps import JsonBody, Name, SessionDep, SettingsDep, UrlsDep, read_json
from contract_broker.errors import NotFound
from contract_broker.hal import HalResponse, Urls, iso, link
from contract_broker.models import Verification
from contract_broker.repositories import pacts as pact_repo
from contract_broker.repositories import verifications as verification_repo
from contract_broker.services import integrations, publish, verifications, webhooks
from contract_broker.services import pacts as service
from contract_broker.services.content import check_pact
from contract_broker.services.pacts import PactView

router = APIRouter(prefix="/pacts", tags=["pacts"])

PAIR = "/provider/{provider}/consumer/{consumer}"


def pact_json(
    view: PactView,
    urls: Urls,
    session: Any,
    *,
    self_url: str | None = None,
    metadata: str | None = None,
) -> dict[str, Any]:
    """The stored pact merged with ``createdAt`` and the links the verifier follows."""
    consumer, provider = view.consumer.name, view.provider.name
    number = view.consumer_version.number
    sha = view.pact_version.sha
    version_url = urls.pact(provider, consumer, number)
    sha_url = urls.pact_version(provider, consumer, sha)
    results_base = urls.pact_version(provider, consumer, sha, metadata)
    previous = pact_repo.previous_distinct_publication(session, view.publication)
    publications = pact_repo.publications_of_pact_version(session, view.pact_version.id)
    body = view.content
    body["createdAt"] = iso(view.publication.created_at)
    links: dict[str, Any] = {
        "self": link(
            self_url or version_url,
            title="Pact",
            name=f"Pact between {consumer} ({number}) and {provider}",
        ),
        "pb:consumer": link(urls.pacticipant(consumer), title="Consumer", name=consumer),
        "pb:consumer-version": link(
            urls.version(consumer, number), title="Consumer version", name=number
        ),
        "pb:consumer-versions": [
            link(
                urls.version(consumer, p.consumer_version.number),
                title="Consumer version",
                name=p.consumer_version.number,
            )
            for p in publications
        ],
        "pb:provider": link(urls.pacticipant(provider), title="Provider", name=provider),
        "pb:pact-version": link(sha_url, title="Pact content version permalink", name=sha),
        "pb:latest-pact-version": link(
            urls.latest_pact(provider, consumer), title="Latest version of this pact"
        ),
        "pb:all-pact-versions": link(
            urls("pacts", "provider", provider, "consumer", consumer, "versions"),
            title="All versions of this pact",
        ),
        "pb:latest-untagged-pact-version": link(
            urls.latest_pact(provider, consumer) + "-untagged",
            title="Latest untagged version of this pact",
        ),
        "pb:latest-tagged-pact-version": link(
            urls.latest_pact(provider, consumer) + "/{tag}",
            title="Latest tagged version of this pact",
            templated=True,
        ),
        "pb:diff-previous-distinct": link(
            version_url + "/diff/previous-distinct",
            title="Diff with previous distinct version of this pact",
        ),
        "pb:diff": link(
            version_url + "/diff/version/{version}",
            title="Diff with another specified version of this pact",
            templated=True,
        ),
        "pb:publish-verification-results": link(
            results_base + "/verification-results", title="Publish verification results"
        ),
        "pb:latest-verification-results": link(
            sha_url + "/verification-results/latest", title="Latest verification results"
        ),
        "pb:matrix-for-consumer-version": link(
            urls("matrix") + f"?q[][pacticipant]={urls.quote(consumer)}"
            f"&q[][version]={urls.quote(number)}&latestby=cvpv",
            title="View matrix rows for the consumer version to which this pact belongs",
        ),
        "curies": [
            {"name": "pb", "href": urls.base + "/doc/{rel}?context=pact", "templated": True}
        ],
    }
    if previous is not None:
        links["pb:previous-distinct"] = link(
            urls.pact(provider, consumer, previous.consumer_version.number),
            title="Previous distinct version of this pact",
        )
    body["_links"] = links
    return body


def _respond(
    view: PactView,
    urls: Urls,
    session: Any,
    self_url: str | None = None,
    metadata: str | None = None,
) -> HalResponse:
    return HalResponse(pact_json(view, urls, session, self_url=self_url, metadata=metadata))


@router.get(PAIR + "/version/{version}", response_class=HalResponse)
@router.get(PAIR + "/versions/{version}", response_class=HalResponse, include_in_schema=False)
def get_pact(
    provider: Name, consumer: Name, version: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    return _respond(service.find_pact(session, provider, consumer, version=version), urls, session)


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
    stored = publish.publish_pact(
        session,
        settings,
        provider_name=provider,
        consumer_name=consumer,
        version_number=version,
        content=content,
        merge=request.method == "PATCH",
    )
    webhooks.trigger(session, settings, stored.events, base_url=urls.base)
    body = pact_json(service.view_of(session, stored.publication), urls, session)
    if stored.outcome != "created":
        return HalResponse(body)
    return HalResponse.created(body)


@router.get(PAIR + "/pact-version/{sha}", response_class=HalResponse)
def get_pact_by_sha(
    provider: Name, consumer: Name, sha: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    view = service.find_pact_by_sha(session, provider, consumer, sha)
    return _respond(view, urls, session, self_url=urls.pact_version(provider, consumer, sha))


@router.get(PAIR + "/pact-version/{sha}/metadata/{metadata}", response_class=HalResponse)
def get_pact_by_sha_with_metadata(
    provider: Name, consumer: Name, sha: Name, metadata: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    """The URL for-verification and webhooks hand out: results posted here carry the metadata."""
    view = service.find_pact_by_sha(session, provider, consumer, sha)
    return _respond(
        view,
        urls,
        session,
        self_url=urls.pact_version(provider, consumer, sha, metadata),
        metadata=metadata,
    )


@router.get(PAIR + "/versions", response_class=HalResponse)
def get_all_pact_versions(
    provider: Name, consumer: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    """Every pact between the two (newest first, at most 100)."""
    views = service.pacts_of_pair(session, provider, consumer)
    return HalResponse(
        {
            "_links": {
                "self": link(
                    urls("pacts", "provider", provider, "consumer", consumer, "versions"),
                    title=f"All versions of the pact between {consumer} and {provider}",
                ),
                "pb:consumer": link(urls.pacticipant(consumer), name=consumer),
                "pb:provider": link(urls.pacticipant(provider), name=provider),
                "pb:pact-versions": [
                    link(
                        urls.pact(provider, consumer, v.consumer_version.number),
                        title="Pact version",
                        name=v.consumer_version.number,
                    )
                    for v in views
                ],
            }
        }
    )


@router.get(PAIR + "/latest-untagged", response_class=HalResponse)
def get_latest_untagged_pact(
    provider: Name, consumer: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    view = service.find_pact(session, provider, consumer, untagged=True)
    return _respond_latest(
        view, urls, session, self_url=urls.latest_pact(provider, consumer) + "-untagged"
    )


@router.get(PAIR + "/version/{version}/diff/previous-distinct")
def diff_previous_distinct(
    provider: Name, consumer: Name, version: Name, session: SessionDep
) -> PlainTextResponse:
    """What changed since the previous distinct version of this pact (a unified diff)."""
    view = service.find_pact(session, provider, consumer, version=version)
    previous, lines = integrations.diff_with_previous(session, view)
    if previous is None:
        return PlainTextResponse(
            "This is the first version of this pact: no previous "
            "distinct version to compare with.\n"
        )
    return PlainTextResponse("\n".join(lines) + "\n")


@router.get(PAIR + "/version/{version}/diff/version/{other}")
def diff_with_version(
    provider: Name, consumer: Name, version: Name, other: Name, session: SessionDep
) -> PlainTextResponse:
    """What changed between another version's pact and this one (a unified diff)."""
    after = service.find_pact(session, provider, consumer, version=version)
    before = service.find_pact(session, provider, consumer, version=other)
    lines = integrations.diff(before, after)
    return PlainTextResponse("\n".join(lines) + "\n" if lines else "No differences.\n")


# A header value is visible ASCII or UTF-8 bytes, with spaces and tabs only between them.
_HEADER_VALUE = re.compile(rb"[\x21-\x7e\x80-\xff]([\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?")


def _respond_latest(
    view: PactView, urls: Urls, session: Any, self_url: str | None = None
) -> HalResponse:
    """A latest pact, with ``X-Pact-Consumer-Version`` naming the version it was chosen from.

    As the Pact Broker's ``LatestPact`` resource does. A number that cannot be a header value
    (a control character, surrounding spaces) is left out rather than breaking the response.
    """
    response = _respond(view, urls, session, self_url=self_url)
    number = view.consumer_version.number.encode()
    if _HEADER_VALUE.fullmatch(number):
        response.raw_headers.append((b"x-pact-consumer-version", number))
    return response


@router.get(PAIR + "/latest", response_class=HalResponse)
def get_latest_pact(
    provider: Name, consumer: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    view = service.find_pact(session, provider, consumer)
    return _respond_latest(view, urls, session, self_url=urls.latest_pact(provider, consumer))


@router.get(PAIR + "/latest/{tag}", response_class=HalResponse)
def get_latest_tagged_pact(
    provider: Name, consumer: Name, tag: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    view = service.find_pact(session, provider, consumer, tag=tag)
    return _respond_latest(
        view, urls, session, self_url=urls.latest_pact(provider, consumer) + "/" + urls.quote(tag)
    )


@router.get(PAIR + "/branch/{branch}/latest", response_class=HalResponse)
def get_latest_branch_pact(
    provider: Name, consumer: Name, branch: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    view = service.find_pact(session, provider, consumer, branch=branch)
    return _respond_latest(view, urls, session)


def _verification_json(verification: Verification, view: PactView, urls: Urls) -> dict[str, Any]:
    consumer, provider = view.consumer.name, view.provider.name
    sha = view.pact_version.sha
    return {
        "providerName": provider,
        "providerApplicationVersion": verification.provider_version.number,
        "success": verification.success,
        "verificationDate": iso(verification.execution_date),
        "buildUrl": verification.build_url,
        "testResults": verification.test_results,
        "verifiedBy": verification.verified_by,
        "_links": {
            "self": link(
                urls.verification(provider, consumer, sha, verification.number),
                title="Verification result",
                name=f"Verification result {verification.number} for {consumer} and {provider}",
            ),
            "pb:pact-version": link(
                urls.pact_version(provider, consumer, sha), title="Pact version", name=sha
            ),
            "pb:provider-version": link(
                urls.version(provider, verification.provider_version.number),
                title="Provider version",
                name=verification.provider_version.number,
            ),
        },
    }


@router.post(
    PAIR + "/pact-version/{sha}/verification-results", response_class=HalResponse, status_code=201
)
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
    view = service.find_pact_by_sha(session, provider, consumer, sha)
    verification, events = verifications.record_verification(
        session, settings, view, body, metadata=service.decode_metadata(metadata)
    )
    webhooks.trigger(session, settings, events, base_url=urls.base)
    result = _verification_json(verification, view, urls)
    return HalResponse.created(result)


@router.get(PAIR + "/pact-version/{sha}/verification-results/latest", response_class=HalResponse)
def latest_verification(
    provider: Name, consumer: Name, sha: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    view = service.find_pact_by_sha(session, provider, consumer, sha)
    verification = verification_repo.latest_for_pact_version(session, view.pact_version.id)
    if verification is None:
        raise NotFound("This pact has not been verified yet")
    return HalResponse(_verification_json(verification, view, urls))


@router.get(PAIR + "/pact-version/{sha}/verification-results/{number}", response_class=HalResponse)
def get_verification(
    provider: Name, consumer: Name, sha: Name, number: int, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    view = service.find_pact_by_sha(session, provider, consumer, sha)
    return HalResponse(
        _verification_json(verifications.get_verification(session, view, number), view, urls)
    )


def _latest_pact_summary(view: PactView, urls: Urls) -> dict[str, Any]:
    consumer, provider = view.consumer.name, view.provider.name
    number = view.consumer_version.number
    return {
        "createdAt": iso(view.publication.created_at),
        "_embedded": {
            "consumer": {
                "name": consumer,
                "repository_url": view.consumer.repository_url,
                "_embedded": {
                    "version": {
                        "number": number,
                        "_links": {"self": link(urls.version(consumer, number))},
                    }
                },
                "_links": {"self": link(urls.pacticipant(consumer))},
            },
            "provider": {
                "name": provider,
                "repository_url": view.provider.repository_url,
                "_links": {"self": link(urls.pacticipant(provider))},
            },
        },
        "_links": {
            "self": [
                link(urls.latest_pact(provider, consumer)),
                link(urls.pact(provider, consumer, number)),
            ]
        },
    }


@router.get("/latest", response_class=HalResponse)
def latest_pacts(session: SessionDep, urls: UrlsDep) -> HalResponse:
    """The latest pact of every integration (``list-latest-pact-versions``)."""
    views = service.latest_pacts(session)
    return HalResponse(
        {
            "pacts": [_latest_pact_summary(v, urls) for v in views],
            "_links": {
                "self": link(urls("pacts", "latest")),
                "pb:pacts": [
                    link(
                        urls.pact(v.provider.name, v.consumer.name, v.consumer_version.number),
                        title=f"Pact between {v.consumer.name} and {v.provider.name}",
                    )
                    for v in views
                ],
            },
        }
    )


def _provider_pacts(
    views: list[PactView], provider: str, urls: Urls, self_url: str, title: str
) -> HalResponse:
    pacts = [
        link(
            urls.pact(provider, v.consumer.name, v.consumer_version.number),
            title=f"Pact between {v.consumer.name} ({v.consumer_version.number}) and {provider}",
            name=v.consumer.name,
        )
        for v in views
    ]
    return HalResponse(
        {
            "_links": {
                "self": link(self_url, title=title),
                "pb:provider": link(urls.pacticipant(provider), name=provider),
                "pb:pacts": pacts,
                "provider": link(
                    urls.pacticipant(provider),
                    title=provider,
                    name="DEPRECATED - please use the pb:provider relation",
                ),
                "pacts": [
                    {**p, "title": "DEPRECATED - please use the pb:pacts relation. " + p["title"]}
                    for p in pacts
                ],
            }
        }
    )


@router.get("/provider/{provider}/latest", response_class=HalResponse)
def latest_provider_pacts(provider: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    """What ``pact verifier --broker-url`` without selectors reads (the deprecated ``pacts``)."""
    views = service.latest_pacts(session, provider)
    return _provider_pacts(
        views,
        provider,
        urls,
        urls("pacts", "provider", provider, "latest"),
        f"Latest pact versions for the provider {provider}",
    )


@router.get("/provider/{provider}/latest/{tag}", response_class=HalResponse)
def latest_provider_pacts_with_tag(
    provider: Name, tag: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    views = service.latest_pacts(session, provider, tag=tag)
    return _provider_pacts(
        views,
        provider,
        urls,
        urls("pacts", "provider", provider, "latest", tag),
        f"Latest pact versions for the provider {provider} with tag {tag}",
    )


def _branch_pacts(
    session: Any, urls: Urls, provider: str, branch: str | None, *, latest: bool
) -> HalResponse:
    views = service.pacts_for_consumer_branch(session, provider, branch=branch, latest=latest)
    path = ["pacts", "provider", provider, "branch", *([branch] if branch else [])]
    title = "Latest pact versions" if latest else "All pact versions"
    suffix = f" with consumer version branch '{branch}'" if branch else ""
    return _provider_pacts(
        views,
        provider,
        urls,
        urls(*path, *(["latest"] if latest else [])),
        f"{title} for the provider {provider}{suffix}",
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
    session: Any,
    urls: Urls,
    provider: str,
    consumer: str,
    branch: str | None,
    *,
    latest: bool,
    self_url: str,
) -> HalResponse:
    """The Pact Broker's list of a pair's pact versions (consumer-branch views)."""
    views = service.pacts_for_consumer_branch(
        session, provider, branch=branch, latest=latest, consumer_name=consumer
    )
    pacts = []
    for view in views:
        number = view.consumer_version.number
        pacts.append(
            {
                "createdAt": iso(view.publication.created_at),
                "_embedded": {
                    "consumerVersion": {
                        "number": number,
                        "_links": {
                            "self": link(
                                urls.version(consumer, number), title="Version", name=number
                            )
                        },
                    }
                },
                "_links": {
                    "self": link(
                        urls.pact(provider, consumer, number),
                        title=f"Pact between {consumer} ({number}) and {provider}",
                    )
                },
            }
        )
    return HalResponse(
        {
            "_embedded": {"pacts": pacts},
            "_links": {
                "self": link(
                    self_url, title=f"All versions of the pact between {consumer} and {provider}"
                ),
                "consumer": link(urls.pacticipant(consumer), title="Consumer", name=consumer),
                "provider": link(urls.pacticipant(provider), title="Provider", name=provider),
                "pact-versions": [
                    link(
                        urls.pact(provider, consumer, v.consumer_version.number),
                        title="Pact",
                        name=f"Version {v.consumer_version.number} - "
                        f"{v.publication.created_at.strftime('%d/%m/%Y')}",
                    )
                    for v in views
                ],
            },
        }
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
