"""HAL shapes shared by several routes: pacticipant, label, version, tag, branch, environment,
deployments.

Pure functions of models and ``Urls``; the routes decide which related rows to load. Shapes,
titles and deprecated relations follow the Pact Broker's decorators
(``lib/pact_broker/api/decorators/*_decorator.rb``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contract_broker.hal import Urls, iso, link
from contract_broker.models import (
    BranchVersion,
    DeployedVersion,
    Environment,
    Pacticipant,
    PacticipantLabel,
    ReleasedVersion,
    Tag,
    Version,
)
from contract_broker.services.pacticipant_views import PacticipantView

__all__ = [
    "branch_version_json",
    "deployed_version_json",
    "environment_json",
    "label_json",
    "label_names_json",
    "pacticipant_collection_json",
    "pacticipant_json",
    "pacticipant_view_json",
    "released_version_json",
    "tag_json",
    "version_json",
]


DEPRECATED_LATEST_VERSION = "DEPRECATED - please use latestVersion"


def _label_url(urls: Urls, pacticipant: str, label: str) -> str:
    return urls("pacticipants", pacticipant, "labels", label)


def pacticipant_json(
    pacticipant: Pacticipant,
    urls: Urls,
    *,
    latest_version: Version | None = None,
    labels: Sequence[PacticipantLabel] = (),
) -> dict[str, Any]:
    """A pacticipant with its labels and latest version (``_embedded``) and its link templates."""
    name = pacticipant.name
    self_url = urls.pacticipant(name)
    body: dict[str, Any] = {
        "name": name,
        "displayName": pacticipant.display_name,
        "repositoryUrl": pacticipant.repository_url,
        "repositoryName": pacticipant.repository_name,
        "repositoryNamespace": pacticipant.repository_namespace,
        "mainBranch": pacticipant.main_branch,
        "createdAt": iso(pacticipant.created_at),
        "updatedAt": iso(pacticipant.updated_at),
    }
    embedded: dict[str, Any] = {}
    if latest_version is not None:
        summary = {
            "number": latest_version.number,
            "_links": {
                "self": link(
                    urls.version(name, latest_version.number),
                    title="Version",
                    name=latest_version.number,
                )
            },
        }
        embedded["latestVersion"] = summary
    embedded["labels"] = [
        {
            "name": label.name,
            "_links": {
                "self": link(_label_url(urls, name, label.name), title="Label", name=label.name)
            },
        }
        for label in labels
    ]
    if latest_version is not None:
        # The Pact Broker's deprecated dasherized copy, marked as such.
        embedded["latest-version"] = {
            **embedded["latestVersion"],
            "title": DEPRECATED_LATEST_VERSION,
            "name": DEPRECATED_LATEST_VERSION,
        }
    body["_embedded"] = embedded
    body["_links"] = {
        "self": link(self_url, title="Pacticipant", name=name),
        "pb:versions": link(self_url + "/versions", title="Versions"),
        "pb:version": link(
            self_url + "/versions/{version}",
            title="Get, create or delete a pacticipant version",
            templated=True,
        ),
        "pb:version-tag": link(
            self_url + "/versions/{version}/tags/{tag}",
            title=f"Get, create or delete a tag for a version of {name}",
            templated=True,
        ),
        "pb:branches": link(self_url + "/branches", title="Branches"),
        "pb:branch-version": link(
            self_url + "/branches/{branch}/versions/{version}",
            title=f"Get or add/create a version for a branch of {name}",
            templated=True,
        ),
        "pb:latest-version": link(self_url + "/latest-version", title="Latest version"),
        "pb:label": link(
            self_url + "/labels/{label}",
            title=f"Get, create or delete a label for {name}",
            templated=True,
        ),
        "pb:can-i-deploy-badge": link(
            self_url + "/latest-version/{tag}/can-i-deploy/to/{environmentTag}/badge",
            title=f"Can I Deploy {name} badge",
            templated=True,
        ),
        "pb:can-i-deploy-branch-to-environment-badge": link(
            self_url + "/branches/{branch}/latest-version/can-i-deploy/to-environment/"
            "{environment}/badge",
            title=f"Can I Deploy {name} from branch to environment badge",
            templated=True,
        ),
        "versions": link(self_url + "/versions", title="Deprecated - use pb:versions"),
    }
    return body


def pacticipant_view_json(view: PacticipantView, urls: Urls) -> dict[str, Any]:
    return pacticipant_json(
        view.pacticipant, urls, latest_version=view.latest_version, labels=view.labels
    )


DEPRECATED_PACTICIPANT = "DEPRECATED - Please use the embedded pacticipants collection"


def pacticipant_collection_json(
    items: Sequence[dict[str, Any]], urls: Urls, *, self_url: str, deprecated_list: bool
) -> dict[str, Any]:
    """Pacticipants (``pacticipant_json`` bodies) embedded, with a link to each.

    ``deprecated_list`` adds the Pact Broker's top-level ``pacticipants`` copy, which
    ``GET /pacticipants`` still carries (and ``pact broker list-pacticipants`` reads).
    """
    body: dict[str, Any] = {
        "_embedded": {"pacticipants": list(items)},
        "_links": {
            "self": link(self_url),
            "pb:pacticipants-with-label": link(
                urls("pacticipants") + "/label/{label}",
                title="Find pacticipants by label",
                templated=True,
            ),
            "pb:pacticipants": [
                link(item["_links"]["self"]["href"], title="Pacticipant", name=item["name"])
                for item in items
            ],
            "pacticipants": [
                link(
                    item["_links"]["self"]["href"],
                    title=item["name"],
                    name="DEPRECATED - please use pb:pacticipants",
                )
                for item in items
            ],
        },
    }
    if deprecated_list:
        body["pacticipants"] = [{**item, "title": DEPRECATED_PACTICIPANT} for item in items]
    return body


def label_json(label: PacticipantLabel, pacticipant: str, urls: Urls) -> dict[str, Any]:
    """``GET|PUT /pacticipants/{p}/labels/{l}``."""
    return {
        "name": label.name,
        "createdAt": iso(label.created_at),
        "_links": {
            "self": link(_label_url(urls, pacticipant, label.name), title="Label", name=label.name),
            "pacticipant": link(
                urls.pacticipant(pacticipant), title="Pacticipant", name=pacticipant
            ),
        },
    }


def label_names_json(names: Sequence[str], urls: Urls) -> dict[str, Any]:
    """``GET /labels``: every label name in use, once."""
    return {
        "_embedded": {"labels": [{"name": name} for name in names]},
        "_links": {"self": link(urls("labels"), title="Labels")},
    }


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
