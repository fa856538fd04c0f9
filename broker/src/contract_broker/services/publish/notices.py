"""The notices a publish answers with: what was stored, why changed content is refused, and
what comparing it with provider contracts found."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from contract_broker.models import PactVersion
from contract_broker.services.matrix.failures import failure_lines
from contract_broker.services.pact_diffs import pact_diff
from contract_broker.services.provider_contracts.recording import Compared
from contract_broker.services.publish.request import ContractToPublish, PublishRequest
from contract_broker.services.publish.storage import StoredPact

__all__ = ["comparison_notices", "conflict_notices", "conflict_text", "stored_notices"]


def stored_notices(
    request: PublishRequest,
    stored: list[StoredPact],
    *,
    version_created: bool,
    pact_url: Callable[[str], str],
) -> list[dict[str, str]]:
    """What was stored: the version, a prompt when no branch was given, then each pact."""
    notices = [{"type": "debug", "text": _version_notice(request, version_created)}]
    if not request.branch:
        notices.append(
            {
                "type": "prompt",
                "text": "  Next steps:\n    Configure the version "
                "branch to be the value of your repository branch.",
            }
        )
    for pact in stored:
        notices.append({"type": _NOTICE_TYPE[pact.outcome], "text": _pact_notice(request, pact)})
        notices.append(
            {
                "type": "debug",
                "text": f"  View the published pact at {pact_url(pact.provider.name)}",
            }
        )
        if pact.events:
            detected = ", ".join(dict.fromkeys(e.name for e in pact.events))
            notices.append({"type": "debug", "text": f"  Events detected: {detected}"})
    return notices


_NOTICE_TYPE = {
    "created": "success",
    "unchanged": "success",
    "modified": "warning",
    "merged": "success",
}


def _version_notice(request: PublishRequest, created: bool) -> str:
    action = "Created" if created else "Updated"
    text = f"{action} {request.pacticipant_name} version {request.version_number}"
    if request.branch:
        text += f" with branch {request.branch}"
    if request.tags:
        text += (" and" if request.branch else " with") + f" tags {', '.join(request.tags)}"
    return text


def _pact_notice(request: PublishRequest, pact: StoredPact) -> str:
    who = (
        f"{request.pacticipant_name} version {request.version_number} "
        f"and provider {pact.provider.name}"
    )
    return {
        "created": f"Pact successfully published for {who}.",
        "unchanged": f"Pact successfully republished for {who} with no content changes.",
        "modified": f"Pact published for {who}: the content for this version changed "
        "(dangerous contract modification is allowed on this broker).",
        "merged": f"Pact successfully merged for {who}.",
    }[pact.outcome]


def conflict_notices(
    request: PublishRequest, contract: ContractToPublish, stored: PactVersion
) -> list[dict[str, str]]:
    """The error and the diff for a contract whose content differs from the stored pact."""
    text = conflict_text(request.pacticipant_name, request.version_number, contract.provider_name)
    diff = pact_diff(
        json.loads(stored.content),
        contract.content,
        fromfile="stored pact",
        tofile="published pact",
        context=2,
    )
    return [{"type": "error", "text": text}, {"type": "info", "text": "\n".join(diff)}]


def conflict_text(consumer: str, number: str, provider: str) -> str:
    """Why the content of a consumer version's pact cannot change, as the Pact Broker says it."""
    return (
        f"Cannot change the content of the pact for {consumer} version {number} and provider "
        f"{provider}, as race conditions will cause unreliable results for can-i-deploy. Each "
        "pact must be published with a unique consumer version number. Some Pact libraries "
        "generate random data when a concrete value for a type matcher is not specified, and "
        "this can cause the contract to mutate - ensure you have given example values for all "
        "type matchers. For more information see "
        "https://docs.pact.io/go/versioning (pact_content_modification_not_allowed)"
    )


def comparison_notices(compared: Sequence[Compared]) -> list[dict[str, str]]:
    """What comparing the new pacts with their providers' contracts found, one line each."""
    notices = []
    for c in compared:
        contract = f"the provider contract of {c.provider_name} {c.provider_version_number}"
        if c.success:
            notices.append({"type": "success", "text": f"Compatible with {contract}"})
            continue
        notices.append({"type": "warning", "text": f"Not compatible with {contract}:"})
        lines = failure_lines(
            c.test_results,
            provider=c.provider_name,
            provider_version=c.provider_version_number,
            consumer=c.consumer_name,
        )
        notices += [{"type": "warning", "text": f"  {line}"} for line in lines]
    return notices
