"""Webhook template variables: ``${pactbroker.*}`` values computed for an event (or a sample
to test a webhook with), and rendering them into a request."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from contract_broker.hal import Urls
from contract_broker.models import (
    Pacticipant,
    PactPublication,
    PactVersion,
    Verification,
    Version,
    Webhook,
)
from contract_broker.repositories import pacticipants as pacticipant_repo
from contract_broker.repositories import pacts as pact_repo
from contract_broker.repositories import webhooks as repo
from contract_broker.services.events import CONTRACT_CONTENT_CHANGED, Event
from contract_broker.services.pacts import encode_metadata

__all__ = ["TEMPLATE", "render", "sample_variables", "template_variables"]

TEMPLATE = re.compile(r"\$\{pactbroker\.([A-Za-z]+)\}")


def render(template: Any, variables: dict[str, str], *, escape: Any = None) -> Any:
    """``${pactbroker.x}`` replaced in a string, or in every string of a JSON value."""
    if isinstance(template, str):

        def value(match: re.Match[str]) -> str:
            found = variables.get(match.group(1), "")
            return escape(found) if escape else found

        return TEMPLATE.sub(value, template)
    if isinstance(template, dict):
        return {
            render(k, variables): render(v, variables, escape=escape) for k, v in template.items()
        }
    if isinstance(template, list):
        return [render(item, variables, escape=escape) for item in template]
    return template


def _names(values: list[str]) -> str:
    return ", ".join(values)


def template_variables(session: Session, event: Event, urls: Urls) -> dict[str, str]:
    """The ``${pactbroker.*}`` values for ``event``, computed when it happens."""
    publication = session.get(PactPublication, event.context["publication_id"])
    assert publication is not None
    pact_version = session.get(PactVersion, publication.pact_version_id)
    consumer = session.get(Pacticipant, publication.consumer_id)
    provider = session.get(Pacticipant, publication.provider_id)
    assert pact_version is not None
    assert consumer is not None
    assert provider is not None
    consumer_version = publication.consumer_version
    consumer_details = _version_names(session, consumer_version)
    labels = repo.label_names(session, [consumer.id, provider.id])
    variables = {
        "eventName": event.name,
        "consumerName": consumer.name,
        "providerName": provider.name,
        "consumerVersionNumber": consumer_version.number,
        "consumerVersionTags": _names(consumer_details["tags"]),
        "consumerVersionBranch": _names(consumer_details["branches"]),
        "consumerLabels": _names(labels[consumer.id]),
        "providerLabels": _names(labels[provider.id]),
        "pactUrl": urls.pact_version(
            provider.name,
            consumer.name,
            pact_version.sha,
            encode_metadata({"cv": consumer_version.number}),
        ),
        "buildUrl": consumer_version.build_url or "",
        "verificationResultUrl": "",
        "providerVersionNumber": "",
        "providerVersionTags": "",
        "providerVersionBranch": "",
        "providerVersionDescriptions": "",
        "currentlyDeployedProviderVersionNumber": "",
    }
    status = "pending"
    provider_version: Version | None = None
    verification_id = event.context.get("verification_id")
    if verification_id is not None:
        verification = session.get(Verification, verification_id)
        assert verification is not None
        provider_version = verification.provider_version
        status = "success" if verification.success else "failure"
        variables["verificationResultUrl"] = urls.verification(
            provider.name, consumer.name, pact_version.sha, verification.number
        )
        variables["buildUrl"] = verification.build_url or ""
    elif event.context.get("provider_version_id") is not None:
        provider_version = session.get(Version, event.context["provider_version_id"])
    if provider_version is not None:
        names = _version_names(session, provider_version)
        variables["providerVersionNumber"] = provider_version.number
        variables["providerVersionTags"] = _names(names["tags"])
        variables["providerVersionBranch"] = _names(names["branches"])
        variables["providerVersionDescriptions"] = event.context.get("description", "")
    variables["githubVerificationStatus"] = status
    variables["gitlabVerificationStatus"] = {"success": "success", "failure": "failed"}.get(
        status, "running"
    )
    variables["bitbucketVerificationStatus"] = {"success": "SUCCESSFUL", "failure": "FAILED"}.get(
        status, "INPROGRESS"
    )
    variables["azureDevOpsVerificationStatus"] = {"success": "succeeded", "failure": "failed"}.get(
        status, "pending"
    )
    return variables


def _covers(session: Session, webhook: Webhook) -> Callable[[PactPublication], bool]:
    """Whether a pact's consumer and provider are ones ``webhook`` fires for."""
    consumers = repo.labelled(session, webhook.consumer_label) if webhook.consumer_label else None
    providers = repo.labelled(session, webhook.provider_label) if webhook.provider_label else None

    def side(pacticipant_id: int, wanted_id: int | None, labelled: set[int] | None) -> bool:
        if labelled is not None:
            return pacticipant_id in labelled
        return wanted_id in (None, pacticipant_id)

    return lambda p: (
        side(p.consumer_id, webhook.consumer_id, consumers)
        and side(p.provider_id, webhook.provider_id, providers)
    )


def sample_variables(session: Session, webhook: Webhook, urls: Urls) -> dict[str, str]:
    """Variables to test ``webhook`` with: from the latest pact it covers, else placeholders."""
    if webhook.consumer_id is not None and webhook.provider_id is not None:
        publication = pact_repo.latest_publication(
            session, webhook.consumer_id, webhook.provider_id
        )
    else:
        covers = _covers(session, webhook)
        latest = [
            p
            for p in pact_repo.latest_publications_per_integration(session, webhook.provider_id)
            if covers(p)
        ]
        publication = latest[0] if latest else None
    if publication is None:
        return {
            name: f"placeholder-{name}"
            for name in (
                "pactUrl",
                "consumerName",
                "providerName",
                "consumerVersionNumber",
                "providerVersionNumber",
                "consumerVersionBranch",
                "providerVersionBranch",
            )
        }
    event = Event(
        CONTRACT_CONTENT_CHANGED,
        publication.consumer_id,
        publication.provider_id,
        {"publication_id": publication.id},
    )
    return template_variables(session, event, urls)


def _version_names(session: Session, version: Version) -> dict[str, list[str]]:
    tags = pacticipant_repo.tags_of_versions(session, [version.id])[version.id]
    branches = pacticipant_repo.branches_of_versions(session, [version.id])[version.id]
    return {"tags": [t.name for t in tags], "branches": [b.branch_name for b in branches]}
