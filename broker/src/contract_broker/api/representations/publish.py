"""HAL shape of the answer to ``POST /contracts/publish``: notices and what was stored."""

from __future__ import annotations

from typing import Any

from contract_broker.hal import Urls, link
from contract_broker.services.publish import PublishResult

__all__ = ["publish_result_json", "published_version_embedded", "published_version_links"]


def published_version_embedded(urls: Urls, name: str, number: str) -> dict[str, Any]:
    """The pacticipant and version a publish stored, as its answer embeds them."""
    return {
        "pacticipant": {"name": name, "_links": {"self": link(urls.pacticipant(name))}},
        "version": {
            "number": number,
            "_links": {"self": link(urls.version(name, number), title="Version", name=number)},
        },
    }


def published_version_links(urls: Urls, name: str, number: str, tags: list[str]) -> dict[str, Any]:
    """The links a publish's answer has to the pacticipant, the version and its tags (the CLI
    reads ``pb:pacticipant-version-tags``)."""
    return {
        "pb:pacticipant": link(urls.pacticipant(name), title="Pacticipant", name=name),
        "pb:pacticipant-version": link(
            urls.version(name, number), title="Pacticipant version", name=number
        ),
        "pb:pacticipant-version-tags": [
            link(urls.tag(name, number, tag), title="Tag", name=tag) for tag in tags
        ],
    }


def publish_result_json(
    result: PublishResult, urls: Urls, *, pacticipant: str, version: str
) -> dict[str, Any]:
    """The notices (also as the deprecated ``logs``), the version, its tags and its pacts.

    ``pacticipant`` and ``version``: as the request spelled them.
    """
    name, number = pacticipant, version
    notices = result.notices
    return {
        "notices": notices,
        "logs": [
            {
                "level": n["type"],
                "message": n["text"],
                "deprecationWarning": "Replaced by notices",
            }
            for n in notices
        ],
        "_embedded": published_version_embedded(urls, name, number),
        "_links": {
            **published_version_links(urls, name, number, [t.name for t in result.tags]),
            "pb:contracts": [
                link(
                    urls.pact(p.provider.name, name, number),
                    title="Pact",
                    name=f"Pact between {name} ({number}) and {p.provider.name}",
                )
                for p in result.pacts
            ],
        },
    }
