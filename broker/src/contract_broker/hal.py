"""HAL+JSON helpers: the response class every 2xx uses, links, and URL building."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from fastapi.responses import JSONResponse

__all__ = ["HAL_JSON", "HalResponse", "Urls", "iso", "link", "segment"]

HAL_JSON = "application/hal+json"


class HalResponse(JSONResponse):
    """``application/hal+json;charset=utf-8`` (the clients accept nothing but JSON on 2xx)."""

    media_type = f"{HAL_JSON};charset=utf-8"

    @classmethod
    def created(cls, body: dict[str, Any]) -> HalResponse:
        """201 with ``Location`` = the body's self link."""
        return cls(body, status_code=201, headers={"Location": body["_links"]["self"]["href"]})

    @classmethod
    def saved(cls, body: dict[str, Any], *, created: bool) -> HalResponse:
        """201 (with ``Location``) for a new resource, 200 for an existing one."""
        return cls.created(body) if created else cls(body)


@lru_cache(maxsize=8192)
def segment(value: str) -> str:
    """One URL path segment: everything but unreserved characters percent-encoded.

    Cached: a matrix of a few rows builds ~300 links from the same dozen names and numbers.
    """
    return quote(value, safe="")


def link(
    href: str, *, title: str | None = None, name: str | None = None, templated: bool | None = None
) -> dict[str, Any]:
    """A HAL link object."""
    result: dict[str, Any] = {"href": href}
    if title is not None:
        result["title"] = title
    if name is not None:
        result["name"] = name
    if templated is not None:
        result["templated"] = templated
    return result


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with offset; SQLite hands back naive datetimes, which are UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


class Urls:
    """Absolute URLs of the broker's resources, under ``base`` (no trailing slash)."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    @staticmethod
    def quote(value: str) -> str:
        """A query-string value."""
        return quote(value, safe="")

    def __call__(self, *parts: str) -> str:
        """``base`` + each part as an encoded path segment."""
        return self.base + "".join("/" + segment(p) for p in parts)

    def pacticipant(self, name: str) -> str:
        return self("pacticipants", name)

    def version(self, pacticipant: str, number: str) -> str:
        return self("pacticipants", pacticipant, "versions", number)

    def tag(self, pacticipant: str, number: str, tag: str) -> str:
        return self("pacticipants", pacticipant, "versions", number, "tags", tag)

    def branch(self, pacticipant: str, branch: str) -> str:
        return self("pacticipants", pacticipant, "branches", branch)

    def branch_version(self, pacticipant: str, branch: str, number: str) -> str:
        return self("pacticipants", pacticipant, "branches", branch, "versions", number)

    def environment(self, uuid: str) -> str:
        return self("environments", uuid)

    def pact(self, provider: str, consumer: str, number: str) -> str:
        return self("pacts", "provider", provider, "consumer", consumer, "version", number)

    def pact_version(
        self, provider: str, consumer: str, sha: str, metadata: str | None = None
    ) -> str:
        url = self("pacts", "provider", provider, "consumer", consumer, "pact-version", sha)
        return url + (f"/metadata/{metadata}" if metadata else "")

    def latest_pact(self, provider: str, consumer: str) -> str:
        return self("pacts", "provider", provider, "consumer", consumer, "latest")

    def verification(self, provider: str, consumer: str, sha: str, number: int) -> str:
        return self.pact_version(provider, consumer, sha) + f"/verification-results/{number}"

    def provider_contract(self, provider: str, number: str) -> str:
        return self("provider-contracts", "provider", provider, "version", number)

    def deployed_version(self, uuid: str) -> str:
        return self("deployed-versions", uuid)

    def released_version(self, uuid: str) -> str:
        return self("released-versions", uuid)

    def webhook(self, uuid: str) -> str:
        return self("webhooks", uuid)

    def triggered_webhook(self, uuid: str) -> str:
        return self("triggered-webhooks", uuid)
