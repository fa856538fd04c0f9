"""Pacticipants, versions, branches and tags: creation rules and the Pact Broker's conventions.

- adding a branch sets the pacticipant's main branch when it has none and the branch is one of
  the candidates (develop, main, master);
- the first tag of a version without a branch, within 10 s of its creation, becomes its branch;
- a tag named like an environment records a deployment there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from contract_broker.errors import Conflict, Invalid, NotFound
from contract_broker.models import Branch, Pacticipant, Tag, Version, utcnow
from contract_broker.repositories import environments as environment_repo
from contract_broker.repositories import pacticipants as repo
from contract_broker.repositories.unique import insert_new, insert_or_get
from contract_broker.services.names import MAX_NAME, check_name, display_name_for
from contract_broker.services.pacticipant_views import PacticipantView, pacticipant_view
from contract_broker.settings import Settings

__all__ = [
    "PACTICIPANT_FIELDS",
    "BranchResult",
    "add_branch",
    "add_tag",
    "create_pacticipant",
    "delete_branch",
    "delete_tag",
    "get_branch",
    "get_or_create_pacticipant",
    "get_or_create_version",
    "get_pacticipant",
    "get_provider",
    "get_version",
    "latest_version",
    "list_branches",
    "list_versions",
    "update_pacticipant",
    "upsert_version",
]

FIRST_TAG_AS_BRANCH_WINDOW = timedelta(seconds=10)

# JSON field → column, for the pacticipant's editable properties.
PACTICIPANT_FIELDS = {
    "displayName": "display_name",
    "repositoryUrl": "repository_url",
    "repositoryName": "repository_name",
    "repositoryNamespace": "repository_namespace",
    "mainBranch": "main_branch",
}


def get_pacticipant(session: Session, name: str) -> Pacticipant:
    pacticipant = repo.find_pacticipant(session, name)
    if pacticipant is None:
        raise NotFound(f"No pacticipant with name '{name}' found")
    return pacticipant


def get_provider(session: Session, name: str) -> Pacticipant:
    """``get_pacticipant`` for a URL that names the pacticipant as a provider."""
    pacticipant = repo.find_pacticipant(session, name)
    if pacticipant is None:
        raise NotFound(f"No provider with name '{name}' found")
    return pacticipant


def get_or_create_pacticipant(session: Session, name: str, *, field: str = "name") -> Pacticipant:
    check_name(field, name)
    pacticipant, _ = insert_or_get(
        session,
        Pacticipant,
        {"name": name, "display_name": display_name_for(name)},
        key=["name"],
    )
    return pacticipant


def _properties(body: dict[str, Any]) -> dict[str, str | None]:
    values: dict[str, str | None] = {}
    for key, column in PACTICIPANT_FIELDS.items():
        if key not in body:
            continue
        value = body[key]
        if value is None:
            values[column] = None
            continue
        if key == "mainBranch":
            values[column] = check_name(key, value, allow_spaces=False)
        elif not isinstance(value, str):
            raise Invalid.field(key, f"must be a string, not {type(value).__name__}")
        elif key != "repositoryUrl" and len(value) > MAX_NAME:
            raise Invalid.field(key, f"cannot be longer than {MAX_NAME} characters")
        else:
            values[column] = value
    return values


def _with_display_name(pacticipant: Pacticipant) -> Pacticipant:
    """A blank display name is replaced by the generated one, as the Pact Broker does."""
    if not (pacticipant.display_name or "").strip():
        pacticipant.display_name = display_name_for(pacticipant.name)
    return pacticipant


def create_pacticipant(session: Session, body: dict[str, Any]) -> PacticipantView:
    """POST /pacticipants (409 when the name is taken, also by a request racing this one)."""
    name = check_name("name", body.get("name"))
    values = _properties(body)
    if not (values.get("display_name") or "").strip():
        values["display_name"] = display_name_for(name)
    pacticipant = insert_new(session, Pacticipant, {"name": name, **values})
    if pacticipant is None:
        raise Conflict(f"A pacticipant with name '{name}' already exists")
    return pacticipant_view(session, pacticipant.name)


def update_pacticipant(
    session: Session, name: str, body: dict[str, Any], *, replace: bool
) -> tuple[PacticipantView, bool]:
    """PATCH (merge; creates when missing) or PUT (replace; 404 when missing). True if created."""
    if "name" in body and body["name"] != name:
        raise Invalid.field("name", f"does not match the name in the URL ('{name}')")
    values = _properties(body)
    if replace:
        pacticipant = get_pacticipant(session, name)
        created = False
    else:
        # Created by this request only if its insert won: concurrent PATCHes say 201 once.
        pacticipant, created = insert_or_get(
            session,
            Pacticipant,
            {"name": check_name("name", name), "display_name": display_name_for(name)},
            key=["name"],
        )
    if replace:
        values = {column: values.get(column) for column in PACTICIPANT_FIELDS.values()}
    for column, value in values.items():
        setattr(pacticipant, column, value)
    _with_display_name(pacticipant)
    session.flush()
    return pacticipant_view(session, name), created


def get_version(session: Session, pacticipant_name: str, number: str) -> Version:
    pacticipant = get_pacticipant(session, pacticipant_name)
    version = repo.find_version(session, pacticipant.id, number)
    if version is None:
        raise NotFound(f"No version '{number}' of pacticipant '{pacticipant_name}' found")
    return version


def get_or_create_version(
    session: Session, pacticipant: Pacticipant, number: str, *, build_url: str | None = None
) -> tuple[Version, bool]:
    """The version (created when missing); ``build_url`` updates it when given."""
    check_name("version", number)
    version, created = insert_or_get(
        session,
        Version,
        {"pacticipant_id": pacticipant.id, "number": number, "build_url": build_url},
        key=["pacticipant_id", "number"],
    )
    if not created and build_url is not None and version.build_url != build_url:
        version.build_url = build_url
    return version, created


def latest_version(
    session: Session, pacticipant_name: str, *, tag: str | None = None, branch: str | None = None
) -> Version:
    pacticipant = get_pacticipant(session, pacticipant_name)
    if tag is not None:
        version = repo.latest_version_with_tag(session, pacticipant.id, tag)
        what = f" with tag '{tag}'"
    elif branch is not None:
        version = repo.latest_version_for_branch(session, pacticipant.id, branch)
        what = f" on branch '{branch}'"
    else:
        version = repo.latest_version(session, pacticipant.id)
        what = ""
    if version is None:
        raise NotFound(f"No version of pacticipant '{pacticipant_name}'{what} found")
    return version


@dataclass(frozen=True)
class BranchResult:
    branch: Branch
    created: bool


def add_branch(
    session: Session, settings: Settings, version: Version, branch_name: str
) -> BranchResult:
    """Put ``version`` on ``branch_name``; auto-detect the main branch."""
    check_name("branch", branch_name)
    branch, created = repo.add_branch_version(session, version, branch_name)
    pacticipant = version.pacticipant
    if (
        settings.auto_detect_main_branch
        and pacticipant.main_branch is None
        and branch_name in settings.main_branch_candidates
    ):
        pacticipant.main_branch = branch_name
    return BranchResult(branch, created)


def list_branches(session: Session, pacticipant_name: str) -> list[Branch]:
    pacticipant = get_pacticipant(session, pacticipant_name)
    return list(repo.branches_of(session, pacticipant.id))


def get_branch(session: Session, pacticipant_name: str, branch_name: str) -> Branch:
    pacticipant = get_pacticipant(session, pacticipant_name)
    branch = repo.find_branch(session, pacticipant.id, branch_name)
    if branch is None:
        raise NotFound(f"No branch '{branch_name}' of pacticipant '{pacticipant_name}' found")
    return branch


def delete_branch(session: Session, pacticipant_name: str, branch_name: str) -> None:
    repo.delete_branch(session, get_branch(session, pacticipant_name, branch_name))


def add_tag(
    session: Session, settings: Settings, version: Version, tag_name: str
) -> tuple[Tag, bool]:
    """Tag ``version`` with the Pact Broker's side effects (first tag as branch, deployments)."""
    check_name("tag", tag_name)
    tag, created = repo.add_tag(session, version, tag_name)
    if not created:
        return tag, False
    if settings.use_first_tag_as_branch:
        _maybe_first_tag_as_branch(session, settings, version, tag_name)
    if settings.create_deployed_versions_for_tags:
        environment = environment_repo.find_environment_by_name(session, tag_name)
        if environment is not None:
            from contract_broker.services import deployments

            deployments.record_deployment(session, version, environment, application_instance=None)
    return tag, True


def delete_tag(session: Session, version: Version, tag_name: str) -> None:
    if not repo.delete_tag(session, version.id, tag_name):  # also when a concurrent one did
        raise NotFound(f"No tag '{tag_name}' on version '{version.number}' found")


def _maybe_first_tag_as_branch(
    session: Session, settings: Settings, version: Version, tag_name: str
) -> None:
    created_at = version.created_at
    now = utcnow()
    if created_at.tzinfo is None:
        now = now.replace(tzinfo=None)
    if now - created_at > FIRST_TAG_AS_BRANCH_WINDOW:
        return
    if repo.branches_of_versions(session, [version.id])[version.id]:
        return
    if len(repo.tags_of_versions(session, [version.id])[version.id]) == 1:
        add_branch(session, settings, version, tag_name)


def list_versions(session: Session, pacticipant_name: str) -> list[Version]:
    pacticipant = get_pacticipant(session, pacticipant_name)
    return list(repo.versions_of(session, pacticipant.id))


def upsert_version(
    session: Session,
    settings: Settings,
    pacticipant_name: str,
    number: str,
    body: dict[str, Any],
    *,
    replace: bool,
) -> tuple[Version, bool]:
    """PUT (replace) or PATCH (merge) a version: ``buildUrl``, ``branch`` and ``tags``."""
    build_url = body.get("buildUrl")
    if build_url is not None and not isinstance(build_url, str):
        raise Invalid.field("buildUrl", "must be a string")
    tags = body.get("tags")
    if tags is not None and (
        not isinstance(tags, list)
        or not all(isinstance(t, dict) and isinstance(t.get("name"), str) for t in tags)
    ):
        raise Invalid.field("tags", 'must be a list of {"name": "..."} objects')
    branch = body.get("branch")
    if branch is not None:
        check_name("branch", branch)
    pacticipant = get_or_create_pacticipant(session, pacticipant_name)
    version, created = get_or_create_version(session, pacticipant, number)
    if replace or "buildUrl" in body:
        version.build_url = build_url
    if branch is not None:
        add_branch(session, settings, version, branch)
    # In name order: a tag named like an environment locks it (a deployment), and two requests
    # must lock environments in one order.
    for name in sorted({tag["name"] for tag in tags or []}):
        add_tag(session, settings, version, name)
    session.flush()
    return version, created
