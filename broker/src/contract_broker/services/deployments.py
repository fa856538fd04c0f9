"""Deployed and released versions: record-deployment, record-undeployment, record-release."""

from __future__ import annotations

import uuid as uuids
from typing import Any

from sqlalchemy.orm import Session

from contract_broker.errors import Invalid, NotFound
from contract_broker.models import DeployedVersion, Environment, ReleasedVersion, Version, utcnow
from contract_broker.repositories import environments as repo
from contract_broker.repositories import pacticipants as pacticipant_repo
from contract_broker.repositories.unique import insert_or_get
from contract_broker.services import pacticipants
from contract_broker.services.environments import get_environment
from contract_broker.services.names import MAX_NAME

__all__ = [
    "currently_deployed",
    "currently_supported",
    "deploy",
    "deployments_of_version",
    "end_support",
    "get_deployed_version",
    "get_released_version",
    "record_deployment",
    "record_release",
    "release",
    "update_deployed_version",
    "update_released_version",
]


def record_deployment(
    session: Session,
    version: Version,
    environment: Environment,
    *,
    application_instance: str | None,
) -> tuple[DeployedVersion, bool]:
    """Record ``version`` as deployed; the previous version of the same instance is undeployed.

    Idempotent: recording the currently deployed version again returns the existing record.
    """
    if application_instance is not None and len(application_instance) > MAX_NAME:
        raise Invalid.field("applicationInstance", f"cannot be longer than {MAX_NAME} characters")
    repo.lock_environment(session, environment.id)
    current = [
        d
        for d in repo.currently_deployed(
            session, environment_id=environment.id, pacticipant_ids=[version.pacticipant_id]
        )
        if d.application_instance == application_instance
    ]
    for deployed in current:
        if deployed.version_id == version.id:
            return deployed, False
    now = utcnow()
    for deployed in current:
        deployed.undeployed_at = now
    record = DeployedVersion(
        uuid=str(uuids.uuid4()),
        version_id=version.id,
        pacticipant_id=version.pacticipant_id,
        environment_id=environment.id,
        application_instance=application_instance,
    )
    session.add(record)
    session.flush()
    return record, True


def record_release(
    session: Session, version: Version, environment: Environment
) -> tuple[ReleasedVersion, bool]:
    """Record ``version`` as released (idempotent; releasing again restores support)."""
    released, created = insert_or_get(
        session,
        ReleasedVersion,
        {
            "uuid": str(uuids.uuid4()),
            "version_id": version.id,
            "pacticipant_id": version.pacticipant_id,
            "environment_id": environment.id,
        },
        key=["version_id", "environment_id"],
    )
    if not created:
        released.support_ended_at = None
    return released, created


def get_deployed_version(session: Session, uuid: str) -> DeployedVersion:
    deployed = repo.find_deployed_version(session, uuid)
    if deployed is None:
        raise NotFound(f"No deployed version with uuid '{uuid}' found")
    return deployed


def get_released_version(session: Session, uuid: str) -> ReleasedVersion:
    released = repo.find_released_version(session, uuid)
    if released is None:
        raise NotFound(f"No released version with uuid '{uuid}' found")
    return released


def update_deployed_version(session: Session, uuid: str, body: dict[str, Any]) -> DeployedVersion:
    """Merge-patch: ``{"currentlyDeployed": false}`` records the undeployment."""
    deployed = get_deployed_version(session, uuid)
    if "currentlyDeployed" in body:
        value = body["currentlyDeployed"]
        if not isinstance(value, bool):
            raise Invalid.field("currentlyDeployed", "must be a boolean")
        if value and deployed.undeployed_at is not None:
            raise Invalid.field(
                "currentlyDeployed",
                "an undeployed version cannot be redeployed "
                "this way; record a new deployment instead",
            )
        if not value and deployed.undeployed_at is None:
            deployed.undeployed_at = utcnow()
    return deployed


def update_released_version(session: Session, uuid: str, body: dict[str, Any]) -> ReleasedVersion:
    """Merge-patch: ``{"currentlySupported": false}`` ends support."""
    released = get_released_version(session, uuid)
    if "currentlySupported" in body:
        value = body["currentlySupported"]
        if not isinstance(value, bool):
            raise Invalid.field("currentlySupported", "must be a boolean")
        released.support_ended_at = None if value else (released.support_ended_at or utcnow())
    return released


def end_support(session: Session, released: ReleasedVersion) -> None:
    if released.support_ended_at is None:
        released.support_ended_at = utcnow()


def _pacticipant_ids(session: Session, name: str | None) -> list[int] | None:
    if name is None:
        return None
    found = pacticipant_repo.find_pacticipant(session, name)
    return [found.id] if found else []


def currently_deployed(
    session: Session,
    uuid: str,
    *,
    pacticipant_name: str | None = None,
    application_instance: str | None = None,
) -> tuple[Environment, list[DeployedVersion]]:
    """The environment and what is deployed to it now (of one pacticipant, one instance)."""
    environment = get_environment(session, uuid)
    rows = repo.currently_deployed(
        session,
        environment_id=environment.id,
        pacticipant_ids=_pacticipant_ids(session, pacticipant_name),
    )
    if application_instance is not None:
        rows = [r for r in rows if r.application_instance == application_instance]
    return environment, list(rows)


def currently_supported(
    session: Session, uuid: str, *, pacticipant_name: str | None = None
) -> tuple[Environment, list[ReleasedVersion]]:
    """The environment and the releases to it still supported (of one pacticipant)."""
    environment = get_environment(session, uuid)
    rows = repo.currently_released(
        session,
        environment_id=environment.id,
        pacticipant_ids=_pacticipant_ids(session, pacticipant_name),
    )
    return environment, list(rows)


def deployments_of_version(
    session: Session, pacticipant_name: str, number: str, uuid: str
) -> list[DeployedVersion]:
    """Where a version is deployed now in one environment (one row per instance)."""
    version = pacticipants.get_version(session, pacticipant_name, number)
    environment = get_environment(session, uuid)
    return list(
        repo.currently_deployed(session, environment_id=environment.id, version_id=version.id)
    )


def deploy(
    session: Session,
    pacticipant_name: str,
    number: str,
    uuid: str,
    *,
    application_instance: str | None,
) -> DeployedVersion:
    """``record-deployment`` of a version named by its pacticipant and number."""
    version = pacticipants.get_version(session, pacticipant_name, number)
    environment = get_environment(session, uuid)
    deployed, _ = record_deployment(
        session, version, environment, application_instance=application_instance
    )
    return deployed


def release(session: Session, pacticipant_name: str, number: str, uuid: str) -> ReleasedVersion:
    """``record-release`` of a version named by its pacticipant and number."""
    version = pacticipants.get_version(session, pacticipant_name, number)
    environment = get_environment(session, uuid)
    released, _ = record_release(session, version, environment)
    return released
