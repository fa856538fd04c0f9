"""What a provider contract's page shows: the document, its self-verification, and each
consumer pact compared with it, with what failed."""

from __future__ import annotations

from typing import Any

from contract_broker.hal import Urls, iso
from contract_broker.services.matrix.failures import failure_lines
from contract_broker.services.provider_contracts.publishing import ContractView

__all__ = ["provider_contract_context"]


def provider_contract_context(view: ContractView, urls: Urls) -> dict[str, Any]:
    provider, number = view.provider.name, view.version.number
    contract = view.contract
    report = contract.self_verification or {}
    return {
        "provider": provider,
        "version": number,
        "version_url": urls.version(provider, number),
        "published": iso(contract.created_at),
        "sha": contract.sha,
        "content_type": contract.content_type,
        "self_verified": contract.self_verification_success,
        "verifier": " ".join(
            str(report[k]) for k in ("verifier", "verifierVersion") if report.get(k)
        ),
        "report": report.get("content"),
        "document": contract.content,
        "comparisons": [
            {
                "consumer": c.consumer_name,
                "sha": c.pact_version_sha,
                "pact_url": urls.pact_version(provider, c.consumer_name, c.pact_version_sha),
                "success": c.success,
                "lines": failure_lines(
                    c.test_results,
                    provider=provider,
                    provider_version=number,
                    consumer=c.consumer_name,
                ),
            }
            for c in view.comparisons
        ],
    }
