"""Expected response bodies, whole, for pacticipants and labels (shaped as the Pact Broker's)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

__all__ = ["WHEN", "embedded_label", "label_body", "label_url", "pacticipant_body", "seg"]


class Timestamp:
    """Equal to any ISO 8601 timestamp with an offset, so bodies can be compared whole."""

    __hash__ = None  # type: ignore[assignment]  # equal to many strings: not hashable

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, str):
            return False
        try:
            return datetime.fromisoformat(other).tzinfo is not None
        except ValueError:
            return False

    def __repr__(self) -> str:
        return "<ISO timestamp>"


WHEN = Timestamp()


def seg(value: str) -> str:
    """One path segment, percent-encoded as the broker's links are."""
    return quote(value, safe="")


def label_url(base: str, pacticipant: str, label: str) -> str:
    return f"{base}/pacticipants/{seg(pacticipant)}/labels/{seg(label)}"


def label_body(base: str, pacticipant: str, label: str) -> dict[str, Any]:
    """``GET|PUT /pacticipants/{p}/labels/{l}`` (the Pact Broker's label decorator)."""
    return {
        "name": label,
        "createdAt": WHEN,
        "_links": {
            "self": {"href": label_url(base, pacticipant, label), "title": "Label", "name": label},
            "pacticipant": {
                "href": f"{base}/pacticipants/{seg(pacticipant)}",
                "title": "Pacticipant",
                "name": pacticipant,
            },
        },
    }


def embedded_label(base: str, pacticipant: str, label: str) -> dict[str, Any]:
    """A label inside a pacticipant's ``_embedded.labels``."""
    return {
        "name": label,
        "_links": {
            "self": {"href": label_url(base, pacticipant, label), "title": "Label", "name": label}
        },
    }


def pacticipant_body(
    base: str,
    name: str,
    *,
    display_name: str,
    main_branch: str | None = None,
    repository_url: str | None = None,
    latest_version: str | None = None,
    labels: Sequence[str] = (),
) -> dict[str, Any]:
    """``GET /pacticipants/{name}`` (the Pact Broker's pacticipant decorator)."""
    url = f"{base}/pacticipants/{seg(name)}"
    embedded: dict[str, Any] = {}
    if latest_version is not None:
        embedded["latestVersion"] = {
            "number": latest_version,
            "_links": {
                "self": {
                    "href": f"{url}/versions/{seg(latest_version)}",
                    "title": "Version",
                    "name": latest_version,
                }
            },
        }
    embedded["labels"] = [embedded_label(base, name, label) for label in labels]
    if latest_version is not None:
        deprecated = "DEPRECATED - please use latestVersion"
        embedded["latest-version"] = {
            **embedded["latestVersion"],
            "title": deprecated,
            "name": deprecated,
        }
    return {
        "name": name,
        "displayName": display_name,
        "repositoryUrl": repository_url,
        "repositoryName": None,
        "repositoryNamespace": None,
        "mainBranch": main_branch,
        "createdAt": WHEN,
        "updatedAt": WHEN,
        "_embedded": embedded,
        "_links": {
            "self": {"href": url, "title": "Pacticipant", "name": name},
            "pb:versions": {"href": f"{url}/versions", "title": "Versions"},
            "pb:version": {
                "href": f"{url}/versions/{{version}}",
                "title": "Get, create or delete a pacticipant version",
                "templated": True,
            },
            "pb:version-tag": {
                "href": f"{url}/versions/{{version}}/tags/{{tag}}",
                "title": f"Get, create or delete a tag for a version of {name}",
                "templated": True,
            },
            "pb:branches": {"href": f"{url}/branches", "title": "Branches"},
            "pb:branch-version": {
                "href": f"{url}/branches/{{branch}}/versions/{{version}}",
                "title": f"Get or add/create a version for a branch of {name}",
                "templated": True,
            },
            "pb:latest-version": {"href": f"{url}/latest-version", "title": "Latest version"},
            "pb:label": {
                "href": f"{url}/labels/{{label}}",
                "title": f"Get, create or delete a label for {name}",
                "templated": True,
            },
            "pb:can-i-deploy-badge": {
                "href": f"{url}/latest-version/{{tag}}/can-i-deploy/to/{{environmentTag}}/badge",
                "title": f"Can I Deploy {name} badge",
                "templated": True,
            },
            "pb:can-i-deploy-branch-to-environment-badge": {
                "href": f"{url}/branches/{{branch}}/latest-version/can-i-deploy/to-environment/"
                "{environment}/badge",
                "title": f"Can I Deploy {name} from branch to environment badge",
                "templated": True,
            },
            "versions": {"href": f"{url}/versions", "title": "Deprecated - use pb:versions"},
        },
    }
