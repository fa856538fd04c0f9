"""``GET|POST /pacts/provider/{provider}/for-verification``: what the verifier asks for."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from contract_broker.api.deps import JsonBody, Name, SessionDep, UrlsDep
from contract_broker.errors import Invalid, NotFound
from contract_broker.hal import HalResponse, Urls, link
from contract_broker.repositories import pacticipants as pacticipant_repo
from contract_broker.services import for_verification as service
from contract_broker.services.pacts import encode_metadata

router = APIRouter(prefix="/pacts/provider/{provider}/for-verification", tags=["verification"])

PENDING_DOCS = "Read more at https://docs.pact.io/go/pending"
WIP_DOCS = "Read more at https://docs.pact.io/go/wip"


def _self(urls: Urls, provider: str) -> dict[str, Any]:
    return link(
        urls("pacts", "provider", provider, "for-verification"), title="Pacts to be verified"
    )


@router.get("", response_class=HalResponse)
def for_verification_index(
    provider: Name, request: Request, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    """The verifier GETs this first, then POSTs its selectors to ``_links.self``."""
    if pacticipant_repo.find_pacticipant(session, provider) is None:
        raise NotFound(f"No provider with name '{provider}' found")
    query = _from_query_string(request)
    if query is None:
        return HalResponse({"_links": {"self": _self(urls, provider)}})
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


def _respond(
    session: Any, urls: Urls, provider: str, query: service.Query, *, deprecated_get: bool
) -> HalResponse:
    pacts = service.pacts_for_verification(session, provider, query)
    embedded = []
    for pact in pacts:
        consumer = pact.consumer.name
        number, sha = pact.consumer_version_number, pact.pact_version_sha
        metadata = encode_metadata(
            {"wip": True, "pending": True} if pact.wip else {"pending": pact.pending}
        )
        url = urls.pact_version(provider, consumer, sha, metadata)
        properties: dict[str, Any] = {
            "notices": _notices(pact, provider, query, url, deprecated_get)
        }
        if pact.pending is not None:
            properties["pending"] = pact.pending
        if pact.wip:
            properties["wip"] = True
        embedded.append(
            {
                "shortDescription": ", ".join(pact.descriptions),
                "verificationProperties": properties,
                "_links": {
                    "self": link(url, name=f"Pact between {consumer} ({number}) and {provider}")
                },
            }
        )
    return HalResponse(
        {"_embedded": {"pacts": embedded}, "_links": {"self": _self(urls, provider)}}
    )


def _provider_scope(provider: str, query: service.Query) -> str:
    if query.provider_branch:
        return f"a version of {provider} from branch '{query.provider_branch}'"
    if query.provider_tags:
        return f"a version of {provider} with tag {', '.join(query.provider_tags)}"
    return f"any version of {provider}"


def _notices(
    pact: service.VerifiablePact,
    provider: str,
    query: service.Query,
    url: str,
    deprecated_get: bool,
) -> list[dict[str, str]]:
    why = "; ".join(pact.descriptions)
    notices: list[dict[str, str]] = []
    if deprecated_get:
        notices.append(
            {
                "when": "before_verification",
                "text": "WARNING: the GET form of "
                "pacts-for-verification is deprecated; POST the selectors instead.",
            }
        )
    scope = _provider_scope(provider, query)
    if pact.wip:
        notices.append(
            {
                "when": "before_verification",
                "text": (
                    f"The pact at {url} is being verified because it is a 'work in progress' "
                    f"pact (ie. it is the pact for the latest version of {pact.consumer.name} "
                    f"({why}) and is still in pending state). {WIP_DOCS}"
                ),
            }
        )
    else:
        notices.append(
            {
                "when": "before_verification",
                "text": (
                    f"The pact at {url} is being verified because the pact content belongs to the "
                    f"consumer version matching the following criterion: {why}"
                ),
            }
        )
    if pact.pending:
        notices += [
            {
                "when": "before_verification",
                "text": (
                    f"This pact is in pending state for this version of {provider} because a "
                    f"successful verification result for {scope} has not yet been published. If "
                    f"this verification fails, it will not cause the overall build to fail. "
                    f"{PENDING_DOCS}"
                ),
            },
            {
                "when": "after_verification:success_true_published_false",
                "text": (
                    "This pact is still in pending state for this version of "
                    f"{provider} as the successful verification results have not yet been "
                    "published."
                ),
            },
            {
                "when": "after_verification:success_false_published_false",
                "text": (
                    f"This pact is still in pending state for {scope} as a successful "
                    "verification result has not yet been published"
                ),
            },
            {
                "when": "after_verification:success_true_published_true",
                "text": (
                    f"This pact is no longer in pending state for {scope}, as a successful "
                    "verification result with this tag has been published. If a verification for "
                    "a version with fails in the future, it will fail the build."
                ),
            },
            {
                "when": "after_verification:success_false_published_true",
                "text": (
                    f"This pact is still in pending state for {scope} as the verification failed."
                ),
            },
        ]
    elif pact.pending is False:
        notices.append(
            {
                "when": "before_verification",
                "text": (
                    f"This pact has previously been successfully verified by {scope}. If this "
                    f"verification fails, it will fail the build. {PENDING_DOCS}"
                ),
            }
        )
    return notices
