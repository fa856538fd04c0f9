"""``GET /matrix`` and ``GET /can-i-deploy``: the matrix rows and the deployable summary."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from contract_broker.api.deps import SessionDep, UrlsDep
from contract_broker.hal import HalResponse, Urls, iso, link
from contract_broker.repositories.matrix import EnvironmentInfo, MatrixRow, VersionDetails
from contract_broker.services import matrix as service

router = APIRouter(tags=["matrix"])


@router.get("/matrix", response_class=HalResponse)
def get_matrix(request: Request, session: SessionDep, urls: UrlsDep) -> HalResponse:
    """The matrix for ``q[][pacticipant]=..&q[][version]=..`` selectors (what the CLI uses)."""
    result = service.matrix(session, request.query_params.multi_items())
    return HalResponse(matrix_json(result, urls))


@router.get("/can-i-deploy", response_class=HalResponse)
def get_can_i_deploy(request: Request, session: SessionDep, urls: UrlsDep) -> HalResponse:
    """Can ``pacticipant`` ``version`` go to ``environment`` (or the ``to`` tag)?"""
    result = service.can_i_deploy(session, request.query_params.multi_items())
    return HalResponse(matrix_json(result, urls))


def matrix_json(result: service.MatrixResult, urls: Urls) -> dict[str, Any]:
    summary = result.summary
    rows = [_row_json(row, result.details, urls) for row in result.considered]
    rows += [{**_row_json(row, result.details, urls), "ignored": True} for row in result.ignored]
    return {
        "summary": {"deployable": summary.deployable, "reason": summary.reason, **summary.counts},
        "notices": [{"type": r.type, "text": r.text} for r in summary.reasons],
        "matrix": rows,
    }


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
