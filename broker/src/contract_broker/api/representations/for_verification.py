"""HAL shape of the pacts a provider should verify, with the notices the verifier prints."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contract_broker.hal import Urls, link
from contract_broker.services import for_verification
from contract_broker.services.pacts import encode_metadata

__all__ = ["for_verification_index_json", "pacts_for_verification_json"]

PENDING_DOCS = "Read more at https://docs.pact.io/go/pending"
WIP_DOCS = "Read more at https://docs.pact.io/go/wip"


def _self(urls: Urls, provider: str) -> dict[str, Any]:
    return link(
        urls("pacts", "provider", provider, "for-verification"), title="Pacts to be verified"
    )


def for_verification_index_json(provider: str, urls: Urls) -> dict[str, Any]:
    """Where the verifier POSTs its selectors."""
    return {"_links": {"self": _self(urls, provider)}}


def pacts_for_verification_json(
    pacts: Sequence[for_verification.VerifiablePact],
    urls: Urls,
    *,
    provider: str,
    query: for_verification.Query,
    deprecated_get: bool,
) -> dict[str, Any]:
    """Each pact's URL (with its selection metadata), why it was selected, and its notices."""
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
    return {"_embedded": {"pacts": embedded}, "_links": {"self": _self(urls, provider)}}


def _provider_scope(provider: str, query: for_verification.Query) -> str:
    if query.provider_branch:
        return f"a version of {provider} from branch '{query.provider_branch}'"
    if query.provider_tags:
        return f"a version of {provider} with tag {', '.join(query.provider_tags)}"
    return f"any version of {provider}"


def _notices(
    pact: for_verification.VerifiablePact,
    provider: str,
    query: for_verification.Query,
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
