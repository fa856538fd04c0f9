"""``GET /``: the HAL index the clients start from."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from contract_broker.api.deps import UrlsDep
from contract_broker.hal import HalResponse, link

router = APIRouter(tags=["index"])

# relation → (path under the base URL, title, templated)
RELATIONS: tuple[tuple[str, str, str, bool], ...] = (
    (
        "pb:publish-pact",
        "/pacts/provider/{provider}/consumer/{consumer}/version/{consumerApplicationVersion}",
        "Publish a pact",
        True,
    ),
    ("pb:publish-contracts", "/contracts/publish", "Publish contracts", False),
    ("pb:latest-pact-versions", "/pacts/latest", "Latest pact versions", False),
    (
        "pb:tagged-pact-versions",
        "/pacts/provider/{provider}/consumer/{consumer}/tag/{tag}",
        "All versions of a pact for a given consumer, provider and consumer version tag",
        False,
    ),
    (
        "pb:branch-pact-versions",
        "/pacts/provider/{provider}/consumer/{consumer}/branch/{branch}",
        "All versions of a pact for a given consumer, provider and consumer version branch",
        True,
    ),
    (
        "pb:latest-branch-pact-versions",
        "/pacts/provider/{provider}/consumer/{consumer}/branch/{branch}/latest/versions",
        "Latest version of a pact for a given consumer, provider and consumer version branch",
        True,
    ),
    (
        "pb:main-branch-pact-versions",
        "/pacts/provider/{provider}/consumer/{consumer}/branch/versions",
        "All versions of a pact for a given consumer, provider and consumer main branch",
        True,
    ),
    (
        "pb:latest-main-branch-pact-versions",
        "/pacts/provider/{provider}/consumer/{consumer}/branch/latest/versions",
        "Latest version of a pact for a given consumer, provider and consumer main branch",
        True,
    ),
    (
        "pb:provider-pacts-with-main-branch",
        "/pacts/provider/{provider}/branch",
        "All pact versions for the provider from the main branch of each consumer",
        True,
    ),
    (
        "pb:provider-pacts-with-branch",
        "/pacts/provider/{provider}/branch/{branch}",
        "All pact versions for the provider from a consumer branch",
        True,
    ),
    (
        "pb:latest-provider-pacts-with-main-branch",
        "/pacts/provider/{provider}/branch/latest",
        "Latest pact versions for the provider from the main branch of each consumer",
        True,
    ),
    (
        "pb:latest-provider-pacts-with-branch",
        "/pacts/provider/{provider}/branch/{branch}/latest",
        "Latest pact versions for the provider from a consumer branch",
        True,
    ),
    ("pb:pacticipants", "/pacticipants", "Pacticipants", False),
    ("pb:pacticipant", "/pacticipants/{pacticipant}", "Fetch pacticipant by name", True),
    (
        "pb:latest-provider-pacts",
        "/pacts/provider/{provider}/latest",
        "Latest pact versions for the specified provider",
        True,
    ),
    (
        "pb:latest-provider-pacts-with-tag",
        "/pacts/provider/{provider}/latest/{tag}",
        "Latest pact versions with the specified consumer tag for the specified provider",
        True,
    ),
    (
        "pb:provider-pacts-with-tag",
        "/pacts/provider/{provider}/tag/{tag}",
        "All pact versions with the specified consumer tag for the specified provider",
        True,
    ),
    (
        "pb:provider-pacts",
        "/pacts/provider/{provider}",
        "All pact versions for the specified provider",
        True,
    ),
    (
        "pb:latest-version",
        "/pacticipants/{pacticipant}/latest-version",
        "Latest pacticipant version",
        True,
    ),
    (
        "pb:latest-tagged-version",
        "/pacticipants/{pacticipant}/latest-version/{tag}",
        "Latest pacticipant version with the specified tag",
        True,
    ),
    ("pb:webhooks", "/webhooks", "Webhooks", False),
    ("pb:webhook", "/webhooks/{uuid}", "Webhook", True),
    ("pb:integrations", "/integrations", "Integrations", False),
    (
        "pb:pacticipant-version-tag",
        "/pacticipants/{pacticipant}/versions/{version}/tags/{tag}",
        "Get, create or delete a tag for a pacticipant version",
        True,
    ),
    (
        "pb:pacticipant-branch",
        "/pacticipants/{pacticipant}/branches/{branch}",
        "Get or delete a pacticipant branch",
        True,
    ),
    (
        "pb:pacticipant-branch-version",
        "/pacticipants/{pacticipant}/branches/{branch}/versions/{version}",
        "Get or add/create a pacticipant version for a branch",
        True,
    ),
    (
        "pb:pacticipant-version",
        "/pacticipants/{pacticipant}/versions/{version}",
        "Get, create or delete a pacticipant version",
        True,
    ),
    (
        "pb:can-i-deploy-pacticipant-version-to-tag",
        "/can-i-deploy?pacticipant={pacticipant}&version={version}&to={tag}",
        "Determine if an application version can be safely deployed to an environment "
        "identified by the given tag",
        True,
    ),
    (
        "pb:can-i-deploy-pacticipant-version-to-environment",
        "/can-i-deploy?pacticipant={pacticipant}&version={version}&environment={environment}",
        "Determine if an application version can be safely deployed to an environment",
        True,
    ),
    (
        "pb:provider-pacts-for-verification",
        "/pacts/provider/{provider}/for-verification",
        "Pact versions to be verified for the specified provider",
        True,
    ),
    (
        "beta:provider-pacts-for-verification",
        "/pacts/provider/{provider}/for-verification",
        "DEPRECATED - please use pb:provider-pacts-for-verification",
        True,
    ),
    ("pb:environments", "/environments", "Environments", False),
    ("pb:environment", "/environments/{uuid}", "Environment", True),
    (
        "pf:publish-provider-contract",
        "/provider-contracts/provider/{provider}/publish",
        "Publish a provider contract (an OpenAPI document) and its self-verification results",
        True,
    ),
)


@router.get("/", response_class=HalResponse)
def index(urls: UrlsDep) -> HalResponse:
    """The entry point: every relation the Pact clients look up."""
    links: dict[str, Any] = {
        "self": link(urls.base, title="Index", templated=False),
    }
    for relation, path, title, templated in RELATIONS:
        links[relation] = link(urls.base + path, title=title, templated=templated)
    links["pb:metrics"] = {"href": urls.base + "/metrics", "title": "Get Pact Broker metrics"}
    links["curies"] = [
        {"name": "pb", "href": urls.base + "/doc/{rel}?context=index", "templated": True},
        {"name": "beta", "href": urls.base + "/doc/{rel}?context=index", "templated": True},
        {"name": "pf", "href": urls.base + "/doc/{rel}?context=index", "templated": True},
    ]
    return HalResponse({"_links": links})
