"""HAL shapes of pacticipant versions, branches, tags and branch memberships."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contract_broker.hal import Urls, iso, link
from contract_broker.models import Branch, BranchVersion, Environment, Tag, Version
from contract_broker.services.versions import VersionView

__all__ = [
    "branch_json",
    "branch_version_json",
    "branches_json",
    "tag_json",
    "version_json",
    "version_view_json",
    "versions_json",
]


def tag_json(tag: Tag, pacticipant: str, number: str, urls: Urls) -> dict[str, Any]:
    return {
        "name": tag.name,
        "createdAt": iso(tag.created_at),
        "_links": {
            "self": link(urls.tag(pacticipant, number, tag.name), title="Tag", name=tag.name),
            "pb:version": link(urls.version(pacticipant, number), title="Version", name=number),
            "pb:pacticipant": link(
                urls.pacticipant(pacticipant), title="Pacticipant", name=pacticipant
            ),
        },
    }


def branch_version_json(
    row: BranchVersion, pacticipant: str, number: str, urls: Urls, *, latest: bool | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": row.branch_name, "createdAt": iso(row.created_at)}
    if latest is not None:
        body["latest"] = latest
    body["_links"] = {
        "self": link(
            urls.branch_version(pacticipant, row.branch_name, number),
            title="Branch version",
            name=row.branch_name,
        ),
        "pb:branch": link(
            urls.branch(pacticipant, row.branch_name), title="Branch", name=row.branch_name
        ),
        "pb:version": link(urls.version(pacticipant, number), title="Version", name=number),
    }
    return body


def version_json(
    version: Version,
    urls: Urls,
    *,
    tags: Sequence[Tag] = (),
    branch_versions: Sequence[BranchVersion] = (),
    environments: Sequence[Environment] = (),
    deployed_in: Sequence[Environment] = (),
    released_in: Sequence[Environment] = (),
) -> dict[str, Any]:
    pacticipant = version.pacticipant.name
    number = version.number
    self_url = urls.version(pacticipant, number)
    return {
        "number": number,
        "buildUrl": version.build_url,
        "createdAt": iso(version.created_at),
        "_embedded": {
            "branchVersions": [
                branch_version_json(b, pacticipant, number, urls) for b in branch_versions
            ],
            "branches": [
                {
                    "name": b.branch_name,
                    "_links": {"self": link(urls.branch(pacticipant, b.branch_name))},
                }
                for b in branch_versions
            ],
            "tags": [tag_json(t, pacticipant, number, urls) for t in tags],
        },
        "_links": {
            "self": link(self_url, title="Version", name=number),
            "pb:pacticipant": link(
                urls.pacticipant(pacticipant), title="Pacticipant", name=pacticipant
            ),
            "pb:tag": link(
                self_url + "/tags/{tag}",
                title="Get, create or delete a tag for this pacticipant version",
                templated=True,
            ),
            "pb:pact-versions": [],
            "pb:deployed-environments": [
                link(
                    urls.environment(e.uuid),
                    title=f"Deployed to {e.display_name or e.name}",
                    name=e.name,
                )
                for e in deployed_in
            ],
            "pb:released-environments": [
                link(
                    urls.environment(e.uuid),
                    title=f"Released to {e.display_name or e.name}",
                    name=e.name,
                )
                for e in released_in
            ],
            "pb:record-deployment": [
                link(
                    f"{self_url}/deployed-versions/environment/{e.uuid}",
                    title=f"Record deployment to {e.display_name or e.name}",
                    name=e.name,
                )
                for e in environments
            ],
            "pb:record-release": [
                link(
                    f"{self_url}/released-versions/environment/{e.uuid}",
                    title=f"Record release to {e.display_name or e.name}",
                    name=e.name,
                )
                for e in environments
            ],
        },
    }


def version_view_json(view: VersionView, urls: Urls) -> dict[str, Any]:
    """A version with its tags, branches and the environments it is (or can be) in."""
    return version_json(
        view.version,
        urls,
        tags=view.tags,
        branch_versions=view.branch_versions,
        environments=view.environments,
        deployed_in=view.deployed_in,
        released_in=view.released_in,
    )


def versions_json(versions: Sequence[Version], pacticipant: str, urls: Urls) -> dict[str, Any]:
    """``GET /pacticipants/{p}/versions``: a summary of each version."""
    return {
        "_embedded": {
            "versions": [
                {
                    "number": v.number,
                    "createdAt": iso(v.created_at),
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


def branches_json(branches: Sequence[Branch], pacticipant: str, urls: Urls) -> dict[str, Any]:
    """``GET /pacticipants/{p}/branches``."""
    return {
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
                for row in branches
            ]
        },
        "_links": {
            "self": link(urls.pacticipant(pacticipant) + "/branches", title="Branches"),
            "pb:pacticipant": link(urls.pacticipant(pacticipant), name=pacticipant),
        },
    }


def branch_json(branch: Branch, pacticipant: str, name: str, urls: Urls) -> dict[str, Any]:
    """``GET /pacticipants/{p}/branches/{b}`` (``name``: the branch as the URL spells it)."""
    return {
        "name": branch.name,
        "createdAt": iso(branch.created_at),
        "_links": {
            "self": link(urls.branch(pacticipant, name), title="Branch", name=name),
            "pb:latest-version": link(
                urls.branch(pacticipant, name) + "/latest-version",
                title="Latest version for branch",
            ),
            "pb:pacticipant": link(urls.pacticipant(pacticipant), name=pacticipant),
        },
    }
