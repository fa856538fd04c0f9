"""HAL shape of matrix rows and the can-i-deploy summary (the Pact Broker's matrix decorator)."""

from __future__ import annotations

from typing import Any

from contract_broker.hal import Urls, iso, link

# The row types the matrix service returns; the service package does not re-export them yet.
from contract_broker.services.matrix import EnvironmentInfo, MatrixResult, MatrixRow, VersionDetails

__all__ = ["matrix_json"]


def matrix_json(result: MatrixResult, urls: Urls) -> dict[str, Any]:
    """The summary, the notices explaining it, and every row (ignored ones marked)."""
    summary = result.summary
    rows = [_row_json(row, result.details, urls) for row in result.considered]
    rows += [{**_row_json(row, result.details, urls), "ignored": True} for row in result.ignored]
    every_row = [*result.considered, *result.ignored]
    if any(row.provider_contract_id is not None for row in every_row):
        # As PactFlow: how each row was verified, a replay (CDCT) or a comparison with the
        # provider contract (BDCT). The pact CLI then shows a VERIFICATION TYPE column.
        for row_json, row in zip(rows, every_row, strict=True):
            row_json["verificationType"] = _verification_type(row)
    return {
        "summary": {"deployable": summary.deployable, "reason": summary.reason, **summary.counts},
        # The pact CLI prints each notice on one line (it collapses newlines): a failed
        # verification's sentence, then one notice per failing interaction.
        "notices": [
            {"type": r.type, "text": text}
            for r in summary.reasons
            for text in (r.sentence, *r.details)
        ],
        "matrix": rows,
    }


def _verification_type(row: MatrixRow) -> str | None:
    if row.verification_id is None:
        return None
    return "CDCT" if row.provider_contract_id is None else "BDCT"


def _row_json(row: MatrixRow, details: dict[int, VersionDetails], urls: Urls) -> dict[str, Any]:
    consumer, provider = row.consumer_name, row.provider_name
    provider_version = None
    if row.provider_version_id is not None and row.provider_version_number is not None:
        provider_version = _version_json(
            provider, row.provider_version_number, details.get(row.provider_version_id), urls
        )
    verification = None
    if row.success is not None and row.verification_number is not None:
        verification = {
            "success": row.success,
            "verifiedAt": iso(row.verified_at),
            "_links": {
                "self": link(
                    urls.verification(
                        provider, consumer, row.pact_version_sha, row.verification_number
                    )
                )
            },
        }
    return {
        "consumer": {
            "name": consumer,
            "version": _version_json(
                consumer, row.consumer_version_number, details.get(row.consumer_version_id), urls
            ),
            "_links": {"self": link(urls.pacticipant(consumer))},
        },
        "provider": {
            "name": provider,
            "version": provider_version,
            "_links": {"self": link(urls.pacticipant(provider))},
        },
        "pact": {
            "createdAt": iso(row.pact_created_at),
            "_links": {"self": link(urls.pact(provider, consumer, row.consumer_version_number))},
        },
        "verificationResult": verification,
    }


def _version_json(
    pacticipant: str, number: str, details: VersionDetails | None, urls: Urls
) -> dict[str, Any]:
    details = details or VersionDetails()
    branches = [
        {
            "name": b.name,
            "latest": b.latest,
            "_links": {
                "self": link(
                    urls.branch_version(pacticipant, b.name, number),
                    title="Branch version",
                    name=b.name,
                )
            },
        }
        for b in details.branches
    ]
    return {
        "number": number,
        "branch": details.branches[-1].name if details.branches else None,
        "branches": branches,
        "branchVersions": branches,
        "environments": [_environment_json(e, urls) for e in details.environments],
        "_links": {"self": link(urls.version(pacticipant, number))},
        "tags": [
            {
                "name": t.name,
                "latest": t.latest,
                "_links": {"self": link(urls.tag(pacticipant, number, t.name))},
            }
            for t in details.tags
        ],
    }


def _environment_json(environment: EnvironmentInfo, urls: Urls) -> dict[str, Any]:
    return {
        "uuid": environment.uuid,
        "name": environment.name,
        "displayName": environment.display_name or environment.name,
        "production": environment.production,
        "createdAt": iso(environment.created_at),
        "updatedAt": iso(environment.updated_at),
        "_links": {
            "self": link(
                urls.environment(environment.uuid), title="Environment", name=environment.name
            )
        },
    }
