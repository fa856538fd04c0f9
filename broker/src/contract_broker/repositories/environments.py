"""Environments, deployed versions and released versions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from contract_broker.errors import NotFound
from contract_broker.models import DeployedVersion, Environment, ReleasedVersion

__all__ = [
    "currently_deployed",
    "currently_released",
    "delete_environment",
    "find_deployed_version",
    "find_environment",
    "find_environment_by_name",
    "find_released_version",
    "list_environments",
    "lock_environment",
    "version_ids_in_environment",
]


def find_environment(session: Session, uuid: str) -> Environment | None:
    return session.scalar(select(Environment).where(Environment.uuid == uuid))


def lock_environment(session: Session, environment_id: int) -> None:
    """Hold the environment's row until the transaction ends: what runs there changes one
    request at a time (SQLite's write transactions are serialized already).

    NotFound when a concurrent request deleted the environment after this one read it.
    """
    locked = session.scalar(
        select(Environment.id)
        .where(Environment.id == environment_id)
        .with_for_update(key_share=True)
    )
    if locked is None:
        raise NotFound("The environment was deleted by another request at the same time")


def delete_environment(session: Session, environment_id: int) -> bool:
    """Delete the environment (its deployed and released versions go with it); False when a
    concurrent request deleted it first."""
    deleted = session.scalar(
        delete(Environment).where(Environment.id == environment_id).returning(Environment.id)
    )
    return deleted is not None


def find_environment_by_name(session: Session, name: str) -> Environment | None:
    return session.scalar(select(Environment).where(Environment.name == name))


def list_environments(session: Session, name: str | None = None) -> Sequence[Environment]:
    query = select(Environment).order_by(
        func.lower(func.coalesce(Environment.display_name, Environment.name))
    )
    if name is not None:
        query = query.where(Environment.name == name)
    return session.scalars(query).all()


def currently_deployed(
    session: Session,
    *,
    environment_id: int | None = None,
    pacticipant_ids: Iterable[int] | None = None,
    version_id: int | None = None,
) -> Sequence[DeployedVersion]:
    query = select(DeployedVersion).where(DeployedVersion.undeployed_at.is_(None))
    if environment_id is not None:
        query = query.where(DeployedVersion.environment_id == environment_id)
    if pacticipant_ids is not None:
        query = query.where(DeployedVersion.pacticipant_id.in_(set(pacticipant_ids)))
    if version_id is not None:
        query = query.where(DeployedVersion.version_id == version_id)
    return session.scalars(query.order_by(DeployedVersion.id)).all()


def currently_released(
    session: Session,
    *,
    environment_id: int | None = None,
    pacticipant_ids: Iterable[int] | None = None,
    version_id: int | None = None,
) -> Sequence[ReleasedVersion]:
    query = select(ReleasedVersion).where(ReleasedVersion.support_ended_at.is_(None))
    if environment_id is not None:
        query = query.where(ReleasedVersion.environment_id == environment_id)
    if pacticipant_ids is not None:
        query = query.where(ReleasedVersion.pacticipant_id.in_(set(pacticipant_ids)))
    if version_id is not None:
        query = query.where(ReleasedVersion.version_id == version_id)
    return session.scalars(query.order_by(ReleasedVersion.id)).all()


def version_ids_in_environment(
    session: Session, *, environment_id: int | None, pacticipant_ids: Iterable[int]
) -> set[int]:
    """Versions of these pacticipants currently deployed or released (in one or any env)."""
    ids = set(pacticipant_ids)
    deployed = select(DeployedVersion.version_id).where(
        DeployedVersion.undeployed_at.is_(None), DeployedVersion.pacticipant_id.in_(ids)
    )
    released = select(ReleasedVersion.version_id).where(
        ReleasedVersion.support_ended_at.is_(None), ReleasedVersion.pacticipant_id.in_(ids)
    )
    if environment_id is not None:
        deployed = deployed.where(DeployedVersion.environment_id == environment_id)
        released = released.where(ReleasedVersion.environment_id == environment_id)
    return set(session.scalars(deployed.union(released)))


def find_deployed_version(session: Session, uuid: str) -> DeployedVersion | None:
    return session.scalar(select(DeployedVersion).where(DeployedVersion.uuid == uuid))


def find_released_version(session: Session, uuid: str) -> ReleasedVersion | None:
    return session.scalar(select(ReleasedVersion).where(ReleasedVersion.uuid == uuid))
