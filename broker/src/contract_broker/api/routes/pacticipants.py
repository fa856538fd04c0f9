"""Pacticipants, their versions, branches and tags."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from contract_broker.api.deps import JsonBody, Name, SessionDep, SettingsDep, UrlsDep
from contract_broker.api.representations.pacticipant import (
    pacticipant_collection_json,
    pacticipant_view_json,
)
from contract_broker.api.representations.version import (
    branch_json,
    branch_version_json,
    branches_json,
    tag_json,
    version_view_json,
    versions_json,
)
from contract_broker.hal import HalResponse
from contract_broker.services import pacticipant_views, versions
from contract_broker.services import pacticipants as service

__all__ = ["router"]

router = APIRouter(prefix="/pacticipants", tags=["pacticipants"])


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
    view = service.create_pacticipant(session, body)
    return HalResponse.saved(pacticipant_view_json(view, urls), created=True)


@router.get("/{pacticipant}", response_class=HalResponse)
def get_pacticipant(pacticipant: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    view = pacticipant_views.pacticipant_view(session, pacticipant)
    return HalResponse(pacticipant_view_json(view, urls))


@router.patch("/{pacticipant}", response_class=HalResponse)
def patch_pacticipant(
    pacticipant: Name, body: JsonBody, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    """Merge-patch; creates the pacticipant when missing (201)."""
    view, created = service.update_pacticipant(session, pacticipant, body, replace=False)
    return HalResponse.saved(pacticipant_view_json(view, urls), created=created)


@router.put("/{pacticipant}", response_class=HalResponse)
def put_pacticipant(
    pacticipant: Name, body: JsonBody, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    view, _ = service.update_pacticipant(session, pacticipant, body, replace=True)
    return HalResponse(pacticipant_view_json(view, urls))


@router.get("/{pacticipant}/versions", response_class=HalResponse)
def list_versions(pacticipant: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    rows = service.list_versions(session, pacticipant)
    return HalResponse(versions_json(rows, pacticipant, urls))


@router.get("/{pacticipant}/versions/{version}", response_class=HalResponse)
def get_version(
    pacticipant: Name, version: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    details = versions.version_view(session, pacticipant, version)
    return HalResponse(version_view_json(details, urls))


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
    details, created = versions.save_version(
        session, settings, pacticipant, version, body, replace=request.method == "PUT"
    )
    return HalResponse.saved(version_view_json(details, urls), created=created)


@router.get("/{pacticipant}/latest-version", response_class=HalResponse)
def latest_version(pacticipant: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    details = versions.latest_version_view(session, pacticipant)
    return HalResponse(version_view_json(details, urls))


@router.get("/{pacticipant}/latest-version/{tag}", response_class=HalResponse)
def latest_tagged_version(
    pacticipant: Name, tag: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    details = versions.latest_version_view(session, pacticipant, tag=tag)
    return HalResponse(version_view_json(details, urls))


@router.get("/{pacticipant}/branches/{branch}/latest-version", response_class=HalResponse)
def latest_branch_version(
    pacticipant: Name, branch: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    details = versions.latest_version_view(session, pacticipant, branch=branch)
    return HalResponse(version_view_json(details, urls))


@router.get("/{pacticipant}/branches", response_class=HalResponse)
def list_branches(pacticipant: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    """The pacticipant's branches, most recently created first."""
    rows = service.list_branches(session, pacticipant)
    return HalResponse(branches_json(rows, pacticipant, urls))


@router.get("/{pacticipant}/branches/{branch}", response_class=HalResponse)
def get_branch(pacticipant: Name, branch: Name, session: SessionDep, urls: UrlsDep) -> HalResponse:
    row = service.get_branch(session, pacticipant, branch)
    return HalResponse(branch_json(row, pacticipant, branch, urls))


@router.delete("/{pacticipant}/branches/{branch}", status_code=204)
def delete_branch(pacticipant: Name, branch: Name, session: SessionDep) -> Response:
    """Removes the branch; its versions stay."""
    service.delete_branch(session, pacticipant, branch)
    return Response(status_code=204)


@router.get("/{pacticipant}/branches/{branch}/versions/{version}", response_class=HalResponse)
def get_branch_version(
    pacticipant: Name, branch: Name, version: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    entry = versions.branch_version(session, pacticipant, branch, version)
    return HalResponse(branch_version_json(entry, pacticipant, version, urls))


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
    entry, created = versions.add_version_to_branch(session, settings, pacticipant, branch, version)
    body_json = branch_version_json(entry, pacticipant, version, urls)
    return HalResponse.saved(body_json, created=created)


@router.get("/{pacticipant}/versions/{version}/tags/{tag}", response_class=HalResponse)
def get_tag(
    pacticipant: Name, version: Name, tag: Name, session: SessionDep, urls: UrlsDep
) -> HalResponse:
    entry = versions.version_tag(session, pacticipant, version, tag)
    return HalResponse(tag_json(entry, pacticipant, version, urls))


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
    entry, created = versions.tag_version(session, settings, pacticipant, version, tag)
    return HalResponse.saved(tag_json(entry, pacticipant, version, urls), created=created)


@router.delete("/{pacticipant}/versions/{version}/tags/{tag}", status_code=204)
def delete_tag(pacticipant: Name, version: Name, tag: Name, session: SessionDep) -> Response:
    versions.untag_version(session, pacticipant, version, tag)
    return Response(status_code=204)
