"""Pacticipants, versions, branches and tags."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from contract_broker.models import Branch, BranchVersion, Pacticipant, Tag, Version
from contract_broker.repositories.unique import insert_or_get

__all__ = [
    "add_branch_version",
    "add_tag",
    "branch_heads",
    "branches_of",
    "branches_of_versions",
    "delete_branch",
    "delete_tag",
    "find_branch",
    "find_pacticipant",
    "find_pacticipants",
    "find_version",
    "find_versions",
    "latest_version",
    "latest_version_for_branch",
    "latest_version_with_tag",
    "list_pacticipants",
    "tags_of_versions",
    "versions_of",
    "versions_with_tag",
]


def find_pacticipant(session: Session, name: str) -> Pacticipant | None:
    return session.scalar(select(Pacticipant).where(Pacticipant.name == name))


def find_pacticipants(
    session: Session, names: Iterable[str], *, lock: Callable[[Any], Any] | None = None
) -> dict[str, Pacticipant]:
    """``{name: pacticipant}`` of those that exist; ``lock(id column)``: a column to select with
    each (a lock function to run for each row found), or None."""
    wanted = set(names)
    if not wanted:
        return {}
    column = lock(Pacticipant.id) if lock is not None else None
    if column is None:
        rows = session.scalars(select(Pacticipant).where(Pacticipant.name.in_(wanted)))
        return {p.name: p for p in rows}
    locked = session.execute(
        select(Pacticipant, column).where(Pacticipant.name.in_(wanted)).order_by(Pacticipant.id)
    )
    return {row[0].name: row[0] for row in locked}


def list_pacticipants(session: Session) -> Sequence[Pacticipant]:
    return session.scalars(select(Pacticipant).order_by(func.lower(Pacticipant.name))).all()


def find_version(session: Session, pacticipant_id: int, number: str) -> Version | None:
    return session.scalar(
        select(Version).where(Version.pacticipant_id == pacticipant_id, Version.number == number)
    )


def find_versions(session: Session, ids: Iterable[int]) -> dict[int, Version]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {v.id: v for v in session.scalars(select(Version).where(Version.id.in_(wanted)))}


def versions_of(session: Session, pacticipant_id: int, limit: int = 100) -> Sequence[Version]:
    """The newest ``limit`` versions, newest first."""
    return session.scalars(
        select(Version)
        .where(Version.pacticipant_id == pacticipant_id)
        .order_by(Version.id.desc())
        .limit(limit)
    ).all()


def latest_version(session: Session, pacticipant_id: int) -> Version | None:
    return session.scalar(
        select(Version)
        .where(Version.pacticipant_id == pacticipant_id)
        .order_by(Version.id.desc())
        .limit(1)
    )


def latest_version_with_tag(session: Session, pacticipant_id: int, tag: str) -> Version | None:
    return session.scalar(
        select(Version)
        .join(Tag, Tag.version_id == Version.id)
        .where(Tag.pacticipant_id == pacticipant_id, Tag.name == tag)
        .order_by(Version.id.desc())
        .limit(1)
    )


def versions_with_tag(session: Session, pacticipant_id: int, tag: str) -> Sequence[Version]:
    return session.scalars(
        select(Version)
        .join(Tag, Tag.version_id == Version.id)
        .where(Tag.pacticipant_id == pacticipant_id, Tag.name == tag)
        .order_by(Version.id)
    ).all()


def find_branch(session: Session, pacticipant_id: int, name: str) -> Branch | None:
    return session.scalar(
        select(Branch).where(Branch.pacticipant_id == pacticipant_id, Branch.name == name)
    )


def branches_of(session: Session, pacticipant_id: int) -> Sequence[Branch]:
    return session.scalars(
        select(Branch).where(Branch.pacticipant_id == pacticipant_id).order_by(Branch.id.desc())
    ).all()


def latest_version_for_branch(session: Session, pacticipant_id: int, branch: str) -> Version | None:
    """The branch head: the newest version on ``branch``."""
    branch_id = (
        select(Branch.id)
        .where(Branch.pacticipant_id == pacticipant_id, Branch.name == branch)
        .scalar_subquery()
    )
    head = select(func.max(BranchVersion.version_id)).where(BranchVersion.branch_id == branch_id)
    return session.scalar(select(Version).where(Version.id == head.scalar_subquery()))


def branch_heads(session: Session, pacticipant_ids: Iterable[int] | None = None) -> dict[int, int]:
    """``{branch_id: head version id}`` for every branch (of the given pacticipants)."""
    query = select(BranchVersion.branch_id, func.max(BranchVersion.version_id)).group_by(
        BranchVersion.branch_id
    )
    if pacticipant_ids is not None:
        query = query.where(BranchVersion.pacticipant_id.in_(set(pacticipant_ids)))
    return dict(session.execute(query).all())


def add_branch_version(session: Session, version: Version, branch_name: str) -> tuple[Branch, bool]:
    """Put ``version`` on ``branch_name`` (creating the branch); True when newly added."""
    branch, _ = insert_or_get(
        session,
        Branch,
        {"pacticipant_id": version.pacticipant_id, "name": branch_name},
        key=["pacticipant_id", "name"],
    )
    _, added = insert_or_get(
        session,
        BranchVersion,
        {
            "branch_id": branch.id,
            "version_id": version.id,
            "pacticipant_id": version.pacticipant_id,
            "branch_name": branch_name,
        },
        key=["branch_id", "version_id"],
    )
    return branch, added


def delete_branch(session: Session, branch: Branch) -> None:
    # The branch row first (its versions go with it: ON DELETE CASCADE): its lock is then the
    # first this request takes, as for a request adding a version to the branch (the foreign
    # key's lock, then the stored head's update). Deleting the versions first, the head's
    # trigger would lock the branch row in between and two such requests could deadlock.
    session.execute(delete(Branch).where(Branch.id == branch.id))


def add_tag(session: Session, version: Version, name: str) -> tuple[Tag, bool]:
    """Tag ``version``; True when the tag is new."""
    return insert_or_get(
        session,
        Tag,
        {"name": name, "version_id": version.id, "pacticipant_id": version.pacticipant_id},
        key=["version_id", "name"],
    )


def delete_tag(session: Session, version_id: int, name: str) -> bool:
    """Remove the tag from the version; False when it has none (or a concurrent request
    removed it first)."""
    deleted = session.scalar(
        delete(Tag).where(Tag.version_id == version_id, Tag.name == name).returning(Tag.id)
    )
    return deleted is not None


def tags_of_versions(session: Session, version_ids: Iterable[int]) -> dict[int, list[Tag]]:
    wanted = set(version_ids)
    result: dict[int, list[Tag]] = {v: [] for v in wanted}
    if wanted:
        for tag in session.scalars(select(Tag).where(Tag.version_id.in_(wanted)).order_by(Tag.id)):
            result[tag.version_id].append(tag)
    return result


def branches_of_versions(
    session: Session, version_ids: Iterable[int]
) -> dict[int, list[BranchVersion]]:
    wanted = set(version_ids)
    result: dict[int, list[BranchVersion]] = {v: [] for v in wanted}
    if wanted:
        for row in session.scalars(
            select(BranchVersion)
            .where(BranchVersion.version_id.in_(wanted))
            .order_by(BranchVersion.id)
        ):
            result[row.version_id].append(row)
    return result
