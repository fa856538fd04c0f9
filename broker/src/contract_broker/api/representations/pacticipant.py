"""HAL shapes of pacticipants and their labels (the Pact Broker's pacticipant decorators)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contract_broker.hal import Urls, iso, link
from contract_broker.models import Pacticipant, PacticipantLabel, Version
from contract_broker.services.pacticipant_views import PacticipantView

__all__ = [
    "label_json",
    "label_names_json",
    "pacticipant_collection_json",
    "pacticipant_json",
    "pacticipant_view_json",
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
