"""HAL shape of a verification result (the Pact Broker's verification decorator)."""

from __future__ import annotations

from typing import Any

from contract_broker.hal import Urls, iso, link
from contract_broker.services.verifications import VerificationView

__all__ = ["verification_json"]


def verification_json(view: VerificationView, urls: Urls) -> dict[str, Any]:
    """A verification of a pact's content, linked to that content and the provider version."""
    verification, pact = view.verification, view.pact
    consumer, provider = pact.consumer.name, pact.provider.name
    sha = pact.pact_version.sha
    number = verification.provider_version.number
    compared = verification.provider_contract_id is not None
    body: dict[str, Any] = {
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
    if compared:  # a comparison with the provider contract, not a replay
        body["verificationType"] = "BDCT"
        links: dict[str, Any] = body["_links"]
        links["pf:provider-contract"] = link(
            urls.provider_contract(provider, number), title="Provider contract"
        )
    return body
