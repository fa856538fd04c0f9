"""Versions as the API shows them (with tags, branches and environments), and the version,
branch-membership and tag writes that answer with them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from contract_broker.errors import NotFound
from contract_broker.models import BranchVersion, Environment, Tag, Version
from contract_broker.repositories import environments as environment_repo
from contract_broker.repositories import pacticipants as repo
from contract_broker.services import pacticipants
from contract_broker.settings import Settings

__all__ = [
    "VersionView",
    "add_version_to_branch",
    "branch_version",
    "latest_version_view",
    "save_version",
    "tag_version",
    "untag_version",
    "version_tag",
    "version_view",
    "view_of_version",
]


@dataclass(frozen=True)
class VersionView:
    """A version with what its representation shows."""

    version: Version
    tags: list[Tag]
    branch_versions: list[BranchVersion]
    environments: list[Environment]
    deployed_in: list[Environment]
    released_in: list[Environment]


def view_of_version(session: Session, version: Version) -> VersionView:
    deployed = environment_repo.currently_deployed(session, version_id=version.id)
    released = environment_repo.currently_released(session, version_id=version.id)
    return VersionView(
        version=version,
        tags=list(repo.tags_of_versions(session, [version.id])[version.id]),
        branch_versions=list(repo.branches_of_versions(session, [version.id])[version.id]),
        environments=list(environment_repo.list_environments(session)),
        deployed_in=list({d.environment.id: d.environment for d in deployed}.values()),
        released_in=list({r.environment.id: r.environment for r in released}.values()),
    )


def version_view(session: Session, pacticipant_name: str, number: str) -> VersionView:
    """A version by its pacticipant and number (404 when either is missing)."""
    return view_of_version(session, pacticipants.get_version(session, pacticipant_name, number))


def latest_version_view(
    session: Session, pacticipant_name: str, *, tag: str | None = None, branch: str | None = None
) -> VersionView:
    """The pacticipant's latest version (with a tag, on a branch, or overall)."""
    version = pacticipants.latest_version(session, pacticipant_name, tag=tag, branch=branch)
    return view_of_version(session, version)


def save_version(
    session: Session,
    settings: Settings,
    pacticipant_name: str,
    number: str,
    body: dict[str, Any],
    *,
    replace: bool,
) -> tuple[VersionView, bool]:
    """PUT (replace) or PATCH (merge) a version; True when it is new."""
    version, created = pacticipants.upsert_version(
        session, settings, pacticipant_name, number, body, replace=replace
    )
    return view_of_version(session, version), created


def branch_version(
    session: Session, pacticipant_name: str, branch: str, number: str
) -> BranchVersion:
    """A version's membership of a branch (404 naming what is missing)."""
    version = pacticipants.get_version(session, pacticipant_name, number)
    for entry in view_of_version(session, version).branch_versions:
        if entry.branch_name == branch:
            return entry
    pacticipants.get_branch(session, pacticipant_name, branch)  # 404 naming a missing branch
    raise NotFound(f"Version '{number}' of '{pacticipant_name}' is not on branch '{branch}'")


def add_version_to_branch(
    session: Session, settings: Settings, pacticipant_name: str, branch: str, number: str
) -> tuple[BranchVersion, bool]:
    """Put the version (pacticipant and version created as needed) on the branch; True if new."""
    pacticipant = pacticipants.get_or_create_pacticipant(session, pacticipant_name)
    version, version_created = pacticipants.get_or_create_version(session, pacticipant, number)
    result = pacticipants.add_branch(session, settings, version, branch)
    entry = next(
        b for b in view_of_version(session, version).branch_versions if b.branch_name == branch
    )
    return entry, result.created or version_created


def version_tag(session: Session, pacticipant_name: str, number: str, tag: str) -> Tag:
    """A tag of a version (404 when the version or the tag is missing)."""
    version = pacticipants.get_version(session, pacticipant_name, number)
    for entry in view_of_version(session, version).tags:
        if entry.name == tag:
            return entry
    raise NotFound(
        f"No tag '{tag}' on version '{number}' of pacticipant '{pacticipant_name}' found"
    )


def tag_version(
    session: Session, settings: Settings, pacticipant_name: str, number: str, tag: str
) -> tuple[Tag, bool]:
    """Tag the version (pacticipant and version created as needed); True when the tag is new."""
    pacticipant = pacticipants.get_or_create_pacticipant(session, pacticipant_name)
    version, _ = pacticipants.get_or_create_version(session, pacticipant, number)
    return pacticipants.add_tag(session, settings, version, tag)


def untag_version(session: Session, pacticipant_name: str, number: str, tag: str) -> None:
    pacticipants.delete_tag(
        session, pacticipants.get_version(session, pacticipant_name, number), tag
    )
