"""The benchmark's requests: each operation's i-th request, built from the seeded data.

The same requests serve the in-process pass (which counts SQL statements) and the pass against
broker processes (which times what a team's clients see).
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx2 as httpx
from dataset import BRANCH, PRODUCTION, Seeded

__all__ = [
    "CAN_I_DEPLOY",
    "FOR_VERIFICATION",
    "GET_PACT",
    "OPERATIONS",
    "PUBLISH",
    "TARGETS",
    "BenchError",
    "Requests",
    "Sender",
    "check",
    "percentile",
]

PUBLISH = "publish"
FOR_VERIFICATION = "for-verification"
GET_PACT = "GET pact"
CAN_I_DEPLOY = "can-i-deploy"
OPERATIONS = (PUBLISH, FOR_VERIFICATION, GET_PACT, CAN_I_DEPLOY)
# p95 targets in ms for one client against a broker process on the reference 2-core machine;
# GET pact has none.
TARGETS: dict[str, float] = {CAN_I_DEPLOY: 5.0, FOR_VERIFICATION: 20.0, PUBLISH: 15.0}

# Each Requests draws its own series, so versions published in one run never collide (a
# version republished with other content would be a 409).
_SERIES = itertools.count()


class BenchError(RuntimeError):
    """A request failed or the database cannot be used: the figures would mean nothing."""


class Sender(Protocol):
    """What sends the requests: an httpx client, or several behind a round robin."""

    def get(self, url: str, *, headers: dict[str, str]) -> httpx.Response: ...

    def post(self, url: str, *, content: bytes, headers: dict[str, str]) -> httpx.Response: ...


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values`` (which must not be empty)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _publish_body(consumer: str, version: str, pacts: list[dict[str, Any]]) -> bytes:
    """A ``POST /contracts/publish`` body as ``pact broker publish`` sends it."""
    return json.dumps(
        {
            "pacticipantName": consumer,
            "pacticipantVersionNumber": version,
            "branch": BRANCH,
            "tags": [],
            "buildUrl": f"https://ci.example.com/{consumer}/{version}",
            "contracts": [
                {
                    "consumerName": consumer,
                    "providerName": pact["provider"]["name"],
                    "specification": "pact",
                    "contentType": "application/json",
                    "content": base64.b64encode(json.dumps(pact).encode()).decode(),
                    "onConflict": "overwrite",
                }
                for pact in pacts
            ],
        }
    ).encode()


@dataclass
class Requests:
    """Builds each operation's i-th request from the seeded data (same choices every run).

    ``pact_urls`` holds paths (with any query), so a pact found through one server can be
    fetched from another.
    """

    seeded: Seeded
    client: Sender
    pact_urls: list[str] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    series: int = field(default_factory=lambda: next(_SERIES))
    published: int = 0

    def for_verification(self, i: int) -> Callable[[], httpx.Response]:
        verified = [p for p in self.seeded.providers if self._has_consumers(p)]
        provider = verified[i % len(verified)]
        body = json.dumps(
            {
                "consumerVersionSelectors": [
                    {"mainBranch": True},
                    {"deployedOrReleased": True},
                    {"matchingBranch": True},
                ],
                "providerVersionBranch": BRANCH,
                "includePendingStatus": True,
                "includeWipPactsSince": self.seeded.wip_since.isoformat(),
            }
        ).encode()
        url = f"/pacts/provider/{provider}/for-verification"
        return lambda: self.client.post(url, content=body, headers=_JSON)

    def collect_pact_urls(self, response: httpx.Response) -> None:
        """Keep the pacts a for-verification answer lists, for ``get_pact``."""
        for pact in response.json()["_embedded"]["pacts"]:
            parts = urlsplit(pact["_links"]["self"]["href"])
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if path not in self.pact_urls:
                self.pact_urls.append(path)

    def get_pact(self, i: int) -> Callable[[], httpx.Response]:
        if not self.pact_urls:
            raise BenchError("for-verification returned no pacts: nothing to GET")
        url = self.pact_urls[i % len(self.pact_urls)]
        return lambda: self.client.get(url, headers=_HAL)

    def can_i_deploy(self, i: int) -> Callable[[], httpx.Response]:
        """In turn a consumer version and a provider version, to production: any version, or
        one of the newest (what a pipeline asks about)."""
        names = self.seeded.consumers if i % 2 == 0 else self.seeded.providers
        numbers = self.seeded.consumer_numbers if i % 2 == 0 else self.seeded.provider_numbers
        name = self.rng.choice(names)
        versions = numbers[name]
        if i % 4 >= 2:
            versions = versions[-max(1, len(versions) // 20) :]
        number = self.rng.choice(versions)
        # Raw brackets, as the pact CLI sends them.
        url = (
            f"/matrix?q[][pacticipant]={name}&q[][version]={number}"
            f"&latestby=cvpv&environment={PRODUCTION}"
        )
        return lambda: self.client.get(url, headers=_HAL)

    def publish(self, i: int) -> Callable[[], httpx.Response]:
        """A new version of a consumer: its current content (even i) or new content (odd i)."""
        consumers = self.seeded.consumers
        consumer = consumers[i % len(consumers)]
        self.published += 1
        version = f"9.{self.series}.{self.published}"
        pacts = [
            self.seeded.latest_content[consumer, p] for p in self.seeded.providers_of[consumer]
        ]
        if i % 2 == 1:
            pacts = [_changed(pact, version) for pact in pacts]
        body = _publish_body(consumer, version, pacts)
        return lambda: self.client.post("/contracts/publish", content=body, headers=_JSON)

    def builders(self) -> dict[str, Callable[[int], Callable[[], httpx.Response]]]:
        """Each operation's request builder."""
        return {
            PUBLISH: self.publish,
            FOR_VERIFICATION: self.for_verification,
            GET_PACT: self.get_pact,
            CAN_I_DEPLOY: self.can_i_deploy,
        }

    def _has_consumers(self, provider: str) -> bool:
        return any(provider in providers for providers in self.seeded.providers_of.values())


def _changed(pact: dict[str, Any], version: str) -> dict[str, Any]:
    """``pact`` with new content: its first response body gains a field."""
    changed = copy.deepcopy(pact)
    changed["interactions"][0]["response"]["body"]["publishedBy"] = version
    return changed


_JSON = {"Content-Type": "application/json", "Accept": "application/hal+json"}
_HAL = {"Accept": "application/hal+json"}


def check(operation: str, response: httpx.Response) -> httpx.Response:
    """``response``, unless it is not a 200: then the run stops with what the broker said."""
    if response.status_code != 200:
        raise BenchError(
            f"{operation}: {response.request.method} {response.request.url} answered "
            f"{response.status_code}: {response.text[:500]}"
        )
    return response
