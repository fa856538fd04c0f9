"""Pacticipants, their versions, branches and tags."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from contract_broker.api.deps import JsonBody, Name, SessionDep, SettingsDep, UrlsDep
from contract_broker.api.representations import (
    branch_version_json,
    pacticipant_collection_json,
    pacticipant_view_json,
    tag_json,
    version_json,
)
from contract_broker.errors import NotFound
from contract_broker.hal import HalResponse, Urls, iso, link
from contract_broker.models import Version
from contract_broker.services import pacticipant_views
from contract_broker.services import pacticipants as service

router = APIRouter(prefix="/pacticipants", tags=["pacticipants"])


def _pacticipant_response(
    session: Any, name: str, urls: Urls, *, created: bool = False
) -> HalResponse:
    body = pacticipant_view_json(pacticipant_views.pacticipant_view(session, name), urls)
    return HalResponse.saved(body, created=created)


def _version_response(
    session: Any, version: Version, urls: Urls, *, created: bool = False
) -> HalResponse:
    details = service.version_details(session, version)
    body = version_json(
        version,
        urls,
        tags=details.tags,
        branch_versions=details.branch_versions,
        environments=details.environments,
        deployed_in=details.deployed_in,
        released_in=details.released_in,
    )
    return HalResponse.saved(body, created=created)


@router.get("", response_class=HalResponse)
def list_pacticipants(session: SessionDep, urls: UrlsDep) -> HalResponse:
    """All pacticipants (also as the deprecated top-level ``pacticipants`` the CLI reads)."""
    items = [pacticipant_view_json(v, urls) for v in pacticipant_views.all_pacticipants(session)]
    return HalResponse(
        pacticipant_collection_json(
            items, urls, self_url=urls("pacticipants"), deprecated_list=True
        )
    )


@router.post("", response_class=HalResponse, status_code=201)
def create_pacticipant(body: JsonBody, session: SessionDep, urls: UrlsDep) -> HalResponse:
    pacticipant = service.create_pacticipant(session, body)
    return _pacticipant_response(session, pacticipant.name, urls, created=True)


@router.get("/{pacticipant}", response_class=HalResponse)
def get_pacticipant(pacticipant: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    return _pacticipant_response(session, pacticipant, urls)


@router.patch("/{pacticipant}", response_class=HalResponse)
def patch_pacticipant(
    pacticipant: Name, body: JsonBody, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    """Merge-patch; creates the pacticipant when missing (201)."""
    _, created = service.update_pacticipant(session, pacticipant, body, replace=False)
    return _pacticipant_response(session, pacticipant, urls, created=created)


@router.put("/{pacticipant}", response_class=HalResponse)
def put_pacticipant(
    pacticipant: Name, body: JsonBody, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    service.update_pacticipant(session, pacticipant, body, replace=True)
    return _pacticipant_response(session, pacticipant, urls)


@router.get("/{pacticipant}/versions", response_class=HalResponse)
def list_versions(pacticipant: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    versions = service.list_versions(session, pacticipant)
    return HalResponse(
        {
            "_embedded": {
                "versions": [
                    {
                        "number": v.number,
                        "createdAt": version_json(v, urls)["createdAt"],
                        "_links": {"self": link(urls.version(pacticipant, v.number))},
                    }
                    for v in versions
                ]
            },
            "_links": {
                "self": link(urls.pacticipant(pacticipant) + "/versions"),
                "pb:pacticipant": link(urls.pacticipant(pacticipant), name=pacticipant),
            },
        }
    )


@router.get("/{pacticipant}/versions/{version}", response_class=HalResponse)
def get_version(
    pacticipant: Name, version: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    return _version_response(session, service.get_version(session, pacticipant, version), urls)


@router.put("/{pacticipant}/versions/{version}", response_class=HalResponse)
@router.patch("/{pacticipant}/versions/{version}", response_class=HalResponse)
def put_version(
    pacticipant: Name,
    version: Name,
    body: JsonBody,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    urls: UrlsDep,
) -> HalResponse:
    """PUT replaces the version's properties, PATCH merges them; 201 when it is new."""
    row, created = service.upsert_version(
        session, settings, pacticipant, version, body, replace=request.method == "PUT"
    )
    return _version_response(session, row, urls, created=created)


@router.get("/{pacticipant}/latest-version", response_class=HalResponse)
def latest_version(pacticipant: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    return _version_response(session, service.latest_version(session, pacticipant), urls)


@router.get("/{pacticipant}/latest-version/{tag}", response_class=HalResponse)
def latest_tagged_version(
    pacticipant: Name, tag: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    return _version_response(session, service.latest_version(session, pacticipant, tag=tag), urls)


@router.get("/{pacticipant}/branches/{branch}/latest-version", response_class=HalResponse)
def latest_branch_version(
    pacticipant: Name, branch: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    version = service.latest_version(session, pacticipant, branch=branch)
    return _version_response(session, version, urls)


@router.get("/{pacticipant}/branches", response_class=HalResponse)
def list_branches(pacticipant: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    """The pacticipant's branches, most recently created first."""
    rows = service.list_branches(session, pacticipant)
    return HalResponse(
        {
            "_embedded": {
                "branches": [
                    {
                        "name": row.name,
                        "createdAt": iso(row.created_at),
                        "_links": {
                            "self": link(
                                urls.branch(pacticipant, row.name), title="Branch", name=row.name
                            )
                        },
                    }
                    for row in rows
                ]
            },
            "_links": {
                "self": link(urls.pacticipant(pacticipant) + "/branches", title="Branches"),
                "pb:pacticipant": link(urls.pacticipant(pacticipant), name=pacticipant),
            },
        }
    )


@router.get("/{pacticipant}/branches/{branch}", response_class=HalResponse)
def get_branch(pacticipant: Name, branch: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    row = service.get_branch(session, pacticipant, branch)
    return HalResponse(
        {
            "name": row.name,
            "createdAt": iso(row.created_at),
            "_links": {
                "self": link(urls.branch(pacticipant, branch), title="Branch", name=branch),
                "pb:latest-version": link(
                    urls.branch(pacticipant, branch) + "/latest-version",
                    title="Latest version for branch",
                ),
                "pb:pacticipant": link(urls.pacticipant(pacticipant), name=pacticipant),
            },
        }
    )


@router.delete("/{pacticipant}/branches/{branch}", status_code=204)
def delete_branch(pacticipant: Name, branch: Name, session: SessionDep) -> Response:
    """Removes the branch; its versions stay."""
    service.delete_branch(session, pacticipant, branch)
    return Response(status_code=204)


@router.get("/{pacticipant}/branches/{branch}/versions/{version}", response_class=HalResponse)
def get_branch_version(
    pacticipant: Name, branch: Name, version: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    row = service.get_version(session, pacticipant, version)
    for entry in service.version_details(session, row).branch_versions:
        if entry.branch_name == branch:
            return HalResponse(branch_version_json(entry, pacticipant, version, urls))
    service.get_branch(session, pacticipant, branch)  # 404 naming the branch when it is missing
    raise NotFound(f"Version '{version}' of '{pacticipant}' is not on branch '{branch}'")


@router.put("/{pacticipant}/branches/{branch}/versions/{version}", response_class=HalResponse)
def put_branch_version(
    pacticipant: Name,
    branch: Name,
    version: Name,
    body: JsonBody,
    session: SessionDep,
    settings: SettingsDep,
    urls: UrlsDep,
) -> HalResponse:
    """Put the version (created as needed) on the branch: 201 when new, 200 when it was there."""
    del body  # the CLI sends {} or {"name": branch}; nothing in it is needed
    row, version_created = service.get_or_create_version(
        session, service.get_or_create_pacticipant(session, pacticipant), version
    )
    result = service.add_branch(session, settings, row, branch)
    entry = next(
        b for b in service.version_details(session, row).branch_versions if b.branch_name == branch
    )
    body_json = branch_version_json(entry, pacticipant, version, urls)
    return HalResponse.saved(body_json, created=result.created or version_created)


@router.get("/{pacticipant}/versions/{version}/tags/{tag}", response_class=HalResponse)
def get_tag(
    pacticipant: Name, version: Name, tag: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    row = service.get_version(session, pacticipant, version)
    for entry in service.version_details(session, row).tags:
        if entry.name == tag:
            return HalResponse(tag_json(entry, pacticipant, version, urls))
    raise NotFound(f"No tag '{tag}' on version '{version}' of pacticipant '{pacticipant}' found")


@router.put("/{pacticipant}/versions/{version}/tags/{tag}", response_class=HalResponse)
def put_tag(
    pacticipant: Name,
    version: Name,
    tag: Name,
    body: JsonBody,
    session: SessionDep,
    settings: SettingsDep,
    urls: UrlsDep,
) -> HalResponse:
    """Tag the version (pacticipant and version created as needed): 201 new, 200 existing."""
    del body
    row, _ = service.get_or_create_version(
        session, service.get_or_create_pacticipant(session, pacticipant), version
    )
    entry, created = service.add_tag(session, settings, row, tag)
    return HalResponse.saved(tag_json(entry, pacticipant, version, urls), created=created)


@router.delete("/{pacticipant}/versions/{version}/tags/{tag}", status_code=204)
def delete_tag(pacticipant: Name, version: Name, tag: Name, session: SessionDep) -> Response:
    row = service.get_version(session, pacticipant, version)
    service.delete_tag(session, row, tag)
    return Response(status_code=204)
