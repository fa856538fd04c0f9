"""HAL shapes of environments and of the deployments and releases recorded in them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contract_broker.hal import Urls, iso, link
from contract_broker.models import (
    DeployedVersion,
    Environment,
    Pacticipant,
    ReleasedVersion,
    Version,
)

__all__ = ["deployed_version_json", "environment_json", "released_version_json"]


def environment_json(environment: Environment, urls: Urls) -> dict[str, Any]:
    self_url = urls.environment(environment.uuid)
    return {
        "uuid": environment.uuid,
        "name": environment.name,
        "displayName": environment.display_name or environment.name,
        "production": environment.production,
        "contacts": environment.contacts or [],
        "createdAt": iso(environment.created_at),
        "updatedAt": iso(environment.updated_at),
        "_links": {
            "self": link(self_url, title="Environment", name=environment.name),
            "pb:currently-deployed-deployed-versions": link(
                self_url + "/deployed-versions/currently-deployed",
                title="Versions currently deployed to this environment",
            ),
            "pb:currently-supported-released-versions": link(
                self_url + "/released-versions/currently-supported",
                title="Versions released and supported in this environment",
            ),
            "pb:environments": link(urls("environments"), title="Environments"),
        },
    }


def _pacticipant_summary(pacticipant: Pacticipant, urls: Urls) -> dict[str, Any]:
    return {
        "name": pacticipant.name,
        "displayName": pacticipant.display_name,
        "_links": {"self": link(urls.pacticipant(pacticipant.name))},
    }


def _version_summary(version: Version, urls: Urls) -> dict[str, Any]:
    return {
        "number": version.number,
        "createdAt": iso(version.created_at),
        "_links": {"self": link(urls.version(version.pacticipant.name, version.number))},
    }


def deployed_version_json(deployed: DeployedVersion, urls: Urls) -> dict[str, Any]:
    version = deployed.version
    return {
        "uuid": deployed.uuid,
        "currentlyDeployed": deployed.undeployed_at is None,
        "target": deployed.application_instance,
        "applicationInstance": deployed.application_instance,
        "createdAt": iso(deployed.created_at),
        "undeployedAt": iso(deployed.undeployed_at),
        "_embedded": {
            "pacticipant": _pacticipant_summary(version.pacticipant, urls),
            "version": _version_summary(version, urls),
            "environment": {
                k: v
                for k, v in environment_json(deployed.environment, urls).items()
                if k != "contacts"
            },
        },
        "_links": {"self": link(urls.deployed_version(deployed.uuid), title="Deployed version")},
    }


def released_version_json(released: ReleasedVersion, urls: Urls) -> dict[str, Any]:
    version = released.version
    return {
        "uuid": released.uuid,
        "currentlySupported": released.support_ended_at is None,
        "createdAt": iso(released.created_at),
        "supportEndedAt": iso(released.support_ended_at),
        "_embedded": {
            "pacticipant": _pacticipant_summary(version.pacticipant, urls),
            "version": _version_summary(version, urls),
            "environment": {
                k: v
                for k, v in environment_json(released.environment, urls).items()
                if k != "contacts"
            },
        },
        "_links": {"self": link(urls.released_version(released.uuid), title="Released version")},
    }


def environments_json(environments: Sequence[Environment], urls: Urls) -> dict[str, Any]:
    """``GET /environments``."""
    items = [environment_json(e, urls) for e in environments]
    return {
        "_embedded": {"environments": items},
        "_links": {
            "self": link(urls("environments"), title="Environments"),
            "pb:environments": [
                link(e["_links"]["self"]["href"], title=e["displayName"], name=e["name"])
                for e in items
            ],
        },
    }


def currently_deployed_json(
    environment: Environment, rows: Sequence[DeployedVersion], urls: Urls
) -> dict[str, Any]:
    """``GET /environments/{uuid}/deployed-versions/currently-deployed``."""
    return {
        "_embedded": {"deployedVersions": [deployed_version_json(r, urls) for r in rows]},
        "_links": {
            "self": link(
                urls.environment(environment.uuid) + "/deployed-versions/currently-deployed",
                title=f"Currently deployed versions for {environment.name}",
            )
        },
    }


def currently_supported_json(
    environment: Environment, rows: Sequence[ReleasedVersion], urls: Urls
) -> dict[str, Any]:
    """``GET /environments/{uuid}/released-versions/currently-supported``."""
    return {
        "_embedded": {"releasedVersions": [released_version_json(r, urls) for r in rows]},
        "_links": {
            "self": link(
                urls.environment(environment.uuid) + "/released-versions/currently-supported",
                title=f"Currently supported versions for {environment.name}",
            )
        },
    }


def version_deployments_json(
    rows: Sequence[DeployedVersion], urls: Urls, *, self_url: str
) -> dict[str, Any]:
    """Where one version is deployed now in one environment."""
    return {
        "_embedded": {"deployedVersions": [deployed_version_json(r, urls) for r in rows]},
        "_links": {"self": link(self_url)},
    }
