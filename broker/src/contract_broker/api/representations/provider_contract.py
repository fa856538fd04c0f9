"""HAL shapes of provider contracts: the answer to publishing one, and the resource itself.

The publish answer is what ``pact pactflow publish-provider-contract`` reads: ``notices`` (one
line each), ``_embedded.version.number`` and the ``pb:pacticipant-version-tags`` array.
"""

from __future__ import annotations

from typing import Any

from contract_broker.api.representations.publish import (
    published_version_embedded,
    published_version_links,
)
from contract_broker.hal import Urls, iso, link
from contract_broker.services.matrix.failures import failure_lines
from contract_broker.services.provider_contracts.checking import CheckResult
from contract_broker.services.provider_contracts.publishing import ContractView, PublishedContract

__all__ = ["check_json", "provider_contract_json", "published_contract_json"]


def _notices(result: PublishedContract, urls: Urls) -> list[dict[str, str]]:
    provider, number = result.provider.name, result.version.number
    url = urls.provider_contract(provider, number)
    done = "published" if result.created else "was already published (unchanged)"
    notices = [
        {"type": "success", "text": f"Provider contract for version {number} of {provider} {done}"},
        {"type": "info", "text": f"  View it at {url}"},
    ]
    if result.contract.self_verification_success is None:
        notices.append(
            {
                "type": "warning",
                "text": "No self-verification results were published: until they are, "
                "can-i-deploy counts no comparison with this contract as a pass "
                "(publish with --verification-results or --verifier)",
            }
        )
    elif result.contract.self_verification_success is False:
        notices.append(
            {
                "type": "warning",
                "text": "The self-verification failed: no comparison with this contract passes",
            }
        )
    for compared in result.compared:
        pact = f"the pact of {compared.consumer_name} ({compared.pact_version_sha[:8]})"
        if compared.success:
            notices.append({"type": "success", "text": f"Compatible with {pact}"})
            continue
        notices.append({"type": "error", "text": f"Not compatible with {pact}:"})
        for line in failure_lines(
            compared.test_results,
            provider=provider,
            provider_version=number,
            consumer=compared.consumer_name,
        ):
            notices.append({"type": "error", "text": f"  {line}"})
    if result.created and not result.compared:
        notices.append(
            {"type": "info", "text": "No consumer pacts to compare it with were found (yet)"}
        )
    return notices


def published_contract_json(result: PublishedContract, urls: Urls) -> dict[str, Any]:
    provider, number = result.provider.name, result.version.number
    return {
        "notices": _notices(result, urls),
        "_embedded": published_version_embedded(urls, provider, number),
        "_links": {
            "pf:provider-contract": link(
                urls.provider_contract(provider, number),
                title="Provider contract",
                name=f"Provider contract for {provider} version {number}",
            ),
            **published_version_links(urls, provider, number, [t.name for t in result.tags]),
        },
    }


def provider_contract_json(view: ContractView, urls: Urls) -> dict[str, Any]:
    """The document, its self-verification and every comparison made with it."""
    provider, number = view.provider.name, view.version.number
    contract = view.contract
    return {
        "provider": {"name": provider},
        "providerVersion": {"number": number},
        "specification": contract.specification,
        "contentType": contract.content_type,
        "sha": contract.sha,
        "content": contract.content,
        "selfVerificationResults": contract.self_verification,
        "createdAt": iso(contract.created_at),
        "comparisons": [
            {
                "consumer": {"name": c.consumer_name},
                "pactVersionSha": c.pact_version_sha,
                "success": c.success,
                "testResults": c.test_results,
                "_links": {
                    "pb:verification-result": link(
                        urls.verification(
                            provider, c.consumer_name, c.pact_version_sha, c.verification_number
                        ),
                        title="Verification result",
                    ),
                    "pb:pact-version": link(
                        urls.pact_version(provider, c.consumer_name, c.pact_version_sha),
                        title="Pact",
                    ),
                },
            }
            for c in view.comparisons
        ],
        "_links": {
            "self": link(urls.provider_contract(provider, number), title="Provider contract"),
            "pb:pacticipant": link(urls.pacticipant(provider), title="Pacticipant", name=provider),
            "pb:pacticipant-version": link(
                urls.version(provider, number), title="Pacticipant version", name=number
            ),
        },
    }


def check_json(result: CheckResult, urls: Urls) -> dict[str, Any]:
    """Each contract in use, why, its verdict and the lines naming what fails."""
    provider = result.provider_name
    notices = []
    if not result.contracts:
        notices.append(
            {
                "type": "info",
                "text": f"{provider} has no provider contract in use (main branch head, deployed "
                "or released): nothing to check against",
            }
        )
    for c in result.contracts:
        where = ", ".join(c.why)
        verdict = "compatible" if c.success else "NOT compatible"
        notices.append(
            {
                "type": "success" if c.success else "error",
                "text": f"{provider} {c.provider_version_number} ({where}): {verdict}",
            }
        )
        notices += [{"type": "error", "text": f"  {line}"} for line in c.lines]
    return {
        "provider": {"name": provider},
        "success": result.success,
        "contracts": [
            {
                "providerVersion": {"number": c.provider_version_number},
                "why": list(c.why),
                "success": c.success,
                "lines": list(c.lines),
                "testResults": c.test_results,
                "_links": {
                    "pf:provider-contract": link(
                        urls.provider_contract(provider, c.provider_version_number),
                        title="Provider contract",
                    )
                },
            }
            for c in result.contracts
        ],
        "notices": notices,
    }
