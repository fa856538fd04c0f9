"""What the matrix shows of a version besides its number: tags, branches, environments."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import Boolean, DateTime, Integer, String, func, literal, null, select, union_all
from sqlalchemy import cast as cast_as
from sqlalchemy.orm import Session

from contract_broker.repositories._conditions import STILL_DEPLOYED, STILL_SUPPORTED
from contract_broker.repositories._tables import (
    BRANCH_VERSIONS,
    DEPLOYED,
    ENVIRONMENTS,
    RELEASED,
    TAGS,
    ids,
    run,
)
from contract_broker.repositories.matrix.types import (
    BranchInfo,
    EnvironmentInfo,
    TagInfo,
    VersionDetails,
)

__all__ = ["version_details"]


def version_details(session: Session, version_ids: Iterable[int]) -> dict[int, VersionDetails]:
    """Tags, branches and current environments of these versions, in one statement."""
    ids = list(set(version_ids))
    details = {version_id: VersionDetails() for version_id in ids}
    if not ids:
        return details
    for row in run(session, _details(), ids=ids):
        kind, version_id, name, created_at, head = row[:5]
        found = details[version_id]
        if kind == TAG:
            found.tags.append(TagInfo(name, created_at, version_id == head))
        elif kind == BRANCH:
            found.branches.append(BranchInfo(name, created_at, version_id == head))
        else:
            environment = EnvironmentInfo(row[6], name, *row[7:])
            if environment not in found.environments:
                found.environments.append(environment)
    return details


TAG, BRANCH, ENVIRONMENT = "1 tag", "2 branch", "3 environment"


@cache
def _details() -> Any:
    """One row per tag, branch and current deployment or release of the versions ``:ids``.

    Columns: kind, version id, name, since, head (newest version of the tag or branch), row id,
    then the environment's uuid, display name, production, created and updated. Ordered as the
    Pact Broker lists them: by kind, then oldest first.
    """
    # Typed NULLs: PostgreSQL resolves a UNION's column types pair by pair, from the left.
    some_text: Any = cast_as(null(), String())
    some_flag: Any = cast_as(null(), Boolean())
    some_time: Any = cast_as(null(), DateTime(timezone=True))
    no_environment = (some_text, some_text, some_flag, some_time, some_time)
    environment = (
        ENVIRONMENTS.c.uuid,
        ENVIRONMENTS.c.display_name,
        ENVIRONMENTS.c.production,
        ENVIRONMENTS.c.created_at,
        ENVIRONMENTS.c.updated_at,
    )
    no_head: Any = cast_as(null(), Integer())
    deployed = (
        select(
            literal(ENVIRONMENT).label("kind"),
            DEPLOYED.c.version_id,
            ENVIRONMENTS.c.name,
            DEPLOYED.c.created_at.label("since"),
            no_head.label("head"),
            DEPLOYED.c.id.label("seq"),
            *environment,
        )
        .join(ENVIRONMENTS, ENVIRONMENTS.c.id == DEPLOYED.c.environment_id)
        .where(DEPLOYED.c.version_id.in_(ids("ids")), STILL_DEPLOYED)
    )
    released = (
        select(
            literal(ENVIRONMENT),
            RELEASED.c.version_id,
            ENVIRONMENTS.c.name,
            RELEASED.c.created_at,
            no_head,
            RELEASED.c.id,
            *environment,
        )
        .join(ENVIRONMENTS, ENVIRONMENTS.c.id == RELEASED.c.environment_id)
        .where(RELEASED.c.version_id.in_(ids("ids")), STILL_SUPPORTED)
    )
    newer_tag = TAGS.alias("newer")
    tag_head = (
        select(func.max(newer_tag.c.version_id))
        .where(newer_tag.c.pacticipant_id == TAGS.c.pacticipant_id, newer_tag.c.name == TAGS.c.name)
        .scalar_subquery()
    )
    tags = select(
        literal(TAG), TAGS.c.version_id, TAGS.c.name, TAGS.c.created_at, tag_head, TAGS.c.id,
        *no_environment,
    ).where(TAGS.c.version_id.in_(ids("ids")))  # fmt: skip
    other = BRANCH_VERSIONS.alias("other")
    branch_head = (
        select(func.max(other.c.version_id))
        .where(other.c.branch_id == BRANCH_VERSIONS.c.branch_id)
        .scalar_subquery()
    )
    branches = select(
        literal(BRANCH),
        BRANCH_VERSIONS.c.version_id,
        BRANCH_VERSIONS.c.branch_name,
        BRANCH_VERSIONS.c.created_at,
        branch_head,
        BRANCH_VERSIONS.c.id,
        *no_environment,
    ).where(BRANCH_VERSIONS.c.version_id.in_(ids("ids")))
    # The first SELECT gives the result its column types: the one with every column typed.
    return union_all(deployed, released, tags, branches).order_by("kind", "since", "seq")
