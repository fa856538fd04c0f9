"""What the soak's clients send: a shared world of names and versions, operations, statuses."""

from __future__ import annotations

import base64
import copy
import itertools
import json
import random
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import httpx2 as httpx
from bench.broker_process import loopback_client

__all__ = [
    "EXPECTED",
    "OPERATIONS",
    "Client",
    "Failure",
    "OperationStats",
    "Published",
    "Recorder",
    "Sample",
    "SoakError",
    "World",
    "body_shape",
    "percentile",
    "run_id",
    "set_up",
]

BRANCHES = ("main", "main", "feature-a", "feature-b")
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/hal+json"}
HAL = {"Accept": "application/hal+json"}
RECENT = 400  # remembered versions and pact URLs: later requests pick from the newest ones
CHANGED_CONTENT = 0.2  # share of publications with content the consumer never published before

# What each operation must answer. Anything else counts as unexpected.
PUBLISH = "publish"
REPUBLISH_SAME = "republish same content"
REPUBLISH_CHANGED = "republish changed content"
GET_PACT = "get pact"
PROVIDER_BRANCH = "provider branch version"
VERIFY = "publish verification"
FOR_VERIFICATION = "for-verification"
CAN_I_DEPLOY = "can-i-deploy"
MATRIX = "matrix (cvp)"
RECORD_DEPLOYMENT = "record-deployment"
CREATE_ENVIRONMENT = "create environment"
EXPECTED: dict[str, frozenset[int]] = {
    PUBLISH: frozenset({200}),
    REPUBLISH_SAME: frozenset({200}),
    REPUBLISH_CHANGED: frozenset({409}),
    GET_PACT: frozenset({200}),
    PROVIDER_BRANCH: frozenset({200, 201}),
    VERIFY: frozenset({201}),
    FOR_VERIFICATION: frozenset({200}),
    CAN_I_DEPLOY: frozenset({200}),
    MATRIX: frozenset({200}),
    RECORD_DEPLOYMENT: frozenset({201}),
    CREATE_ENVIRONMENT: frozenset({201}),
}
OPERATIONS = tuple(EXPECTED)


class SoakError(RuntimeError):
    """The soak could not run (the broker did not start, the set-up was refused)."""


# ---------------------------------------------------------------- recording


@dataclass(frozen=True)
class Sample:
    operation: str
    status: int  # 0: no response (connection or timeout error)
    latency_ms: float
    expected: bool


@dataclass
class Failure:
    """One kind of wrong answer: an operation, its path's shape and the status it got."""

    operation: str
    method: str
    path: str
    status: int
    expected: list[int]
    body_shape: str
    response: str
    count: int = 1


@dataclass
class OperationStats:
    requests: int = 0
    server_errors: int = 0
    unexpected: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)


class Recorder:
    """Thread-safe: every response's operation, status and latency; one example per failure."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._window: list[Sample] = []
        self.operations: dict[str, OperationStats] = {name: OperationStats() for name in EXPECTED}
        self.failures: dict[tuple[str, str, str, int], Failure] = {}

    def record(self, sample: Sample) -> None:
        with self._lock:
            self._window.append(sample)
            stats = self.operations[sample.operation]
            stats.requests += 1
            stats.statuses[sample.status] += 1
            stats.latencies_ms.append(sample.latency_ms)
            stats.server_errors += sample.status >= 500
            stats.unexpected += not sample.expected

    def failed(self, failure: Failure) -> None:
        key = (failure.operation, failure.method, failure.path, failure.status)
        with self._lock:
            if key in self.failures:
                self.failures[key].count += 1
            else:
                self.failures[key] = failure

    def drain(self) -> list[Sample]:
        with self._lock:
            window, self._window = self._window, []
            return window


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def body_shape(value: Any, depth: int = 0) -> str:
    """The JSON's structure with types for values: what a failure's request body looked like.

    Keys that are not plain names (a fuzzer's random ones) are only counted.
    """
    if depth > 3:
        return "..."
    if isinstance(value, dict):
        named = [(k, v) for k, v in value.items() if k.isidentifier() and k.isascii()]
        parts = [f"{k}: {body_shape(v, depth + 1)}" for k, v in named[:12]]
        if len(value) > len(parts):
            parts.append(f"+{len(value) - len(parts)} other keys")
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, list):
        return f"[{body_shape(value[0], depth + 1)}, ...x{len(value)}]" if value else "[]"
    if value is None:
        return "null"
    return type(value).__name__


# ---------------------------------------------------------------- the world the clients share


@dataclass(frozen=True)
class Published:
    consumer: str
    number: str
    branch: str
    pacts: dict[str, dict[str, Any]]  # provider -> content


class World:
    """What exists on the broker so far: names, environments, recent versions and pact URLs."""

    def __init__(self, run_id: str, *, consumers: int = 4, providers: int = 3) -> None:
        self.run_id = run_id
        self.consumers = [f"soak-consumer-{i}" for i in range(1, consumers + 1)]
        self.providers = [f"soak-provider-{i}" for i in range(1, providers + 1)]
        # Each consumer talks to one or two providers, the same ones every run.
        self.providers_of = {
            consumer: sorted(
                {
                    self.providers[i % providers],
                    self.providers[(i * 2 + 1) % providers],
                }
            )
            for i, consumer in enumerate(self.consumers)
        }
        self.content = {
            (c, p): _pact(c, p, revision=0) for c in self.consumers for p in self.providers_of[c]
        }
        self.environments: dict[str, str] = {}  # name -> uuid
        self._lock = threading.Lock()
        self._published: deque[Published] = deque(maxlen=RECENT)
        self._pact_urls: deque[str] = deque(maxlen=RECENT)
        self._provider_versions: deque[tuple[str, str]] = deque(maxlen=RECENT)
        self._revision = itertools.count(1)

    def next_revision(self) -> int:
        with self._lock:
            return next(self._revision)

    def add_published(self, published: Published, pact_urls: list[str]) -> None:
        with self._lock:
            self._published.append(published)
            self._pact_urls.extend(pact_urls)

    def add_pact_urls(self, urls: list[str]) -> None:
        with self._lock:
            self._pact_urls.extend(u for u in urls if u not in self._pact_urls)

    def add_provider_version(self, provider: str, number: str) -> None:
        with self._lock:
            self._provider_versions.append((provider, number))

    def snapshot(self) -> tuple[list[Published], list[str], list[tuple[str, str]]]:
        """The versions published, the pact URLs seen and the provider versions verified."""
        with self._lock:
            return list(self._published), list(self._pact_urls), list(self._provider_versions)

    def pick_published(self, rng: random.Random) -> Published | None:
        with self._lock:
            return rng.choice(self._published) if self._published else None

    def pick_pact_url(self, rng: random.Random) -> str | None:
        with self._lock:
            return rng.choice(self._pact_urls) if self._pact_urls else None

    def pick_version(self, rng: random.Random) -> tuple[str, str] | None:
        """A consumer version or, as often, a provider version (what a pipeline deploys)."""
        with self._lock:
            if self._provider_versions and rng.random() < 0.5:
                return rng.choice(self._provider_versions)
            if self._published:
                chosen = rng.choice(self._published)
                return chosen.consumer, chosen.number
            return None


def _pact(consumer: str, provider: str, *, revision: int) -> dict[str, Any]:
    """A V4 pact; ``revision`` > 0 adds a field to the response, so the content (SHA) is new."""
    body: dict[str, Any] = {"id": 123, "name": "Ada Lovelace", "email": "ada@example.com"}
    if revision:
        body[f"field{revision}"] = revision
    return {
        "consumer": {"name": consumer},
        "provider": {"name": provider},
        "interactions": [
            {
                "type": "Synchronous/HTTP",
                "description": "a request for user 123",
                "providerStates": [{"name": "user 123 exists", "params": {"id": 123}}],
                "request": {"method": "GET", "path": "/users/123"},
                "response": {
                    "status": 200,
                    "headers": {"Content-Type": ["application/json"]},
                    "body": {"contentType": "application/json", "encoded": False, "content": body},
                },
            }
        ],
        "metadata": {"pactSpecification": {"version": "4.0"}},
    }


def _publish_body(published: Published) -> dict[str, Any]:
    """A ``POST /contracts/publish`` body as ``pact broker publish`` sends it."""
    return {
        "pacticipantName": published.consumer,
        "pacticipantVersionNumber": published.number,
        "branch": published.branch,
        "tags": [],
        "buildUrl": f"https://ci.example.com/{published.consumer}/{published.number}",
        "contracts": [
            {
                "consumerName": published.consumer,
                "providerName": provider,
                "specification": "pact",
                "contentType": "application/json",
                "content": base64.b64encode(json.dumps(pact).encode()).decode(),
                "onConflict": "overwrite",
            }
            for provider, pact in published.pacts.items()
        ],
    }


# ---------------------------------------------------------------- one client


class Client:
    """One thread's traffic: operations drawn with fixed weights from its own seeded generator."""

    def __init__(
        self, *, index: int, world: World, recorder: Recorder, base_url: str, seed: int
    ) -> None:
        self.index = index
        self.world = world
        self.recorder = recorder
        self.base_url = base_url
        self.rng = random.Random(seed * 1000 + index)
        self._numbers = itertools.count(1)
        self.http: httpx.Client | None = None

    # -- sending

    def send(
        self, operation: str, method: str, url: str, body: Any = None
    ) -> httpx.Response | None:
        """Send, time and classify one request; None when no response came."""
        assert self.http is not None
        content = None if body is None else json.dumps(body).encode()
        headers = JSON_HEADERS if body is not None else HAL
        started = time.perf_counter()
        response: httpx.Response | None = None
        try:
            response = self.http.request(method, url, content=content, headers=headers)
            status, text = response.status_code, ""
        except httpx.TransportError as error:
            status, text = 0, f"{type(error).__name__}: {error}"
        latency_ms = (time.perf_counter() - started) * 1000
        expected = status in EXPECTED[operation]
        self.recorder.record(Sample(operation, status, latency_ms, expected))
        if not expected:
            self.recorder.failed(
                Failure(
                    operation=operation,
                    method=method,
                    path=_path_shape(url, self.world),
                    status=status,
                    expected=sorted(EXPECTED[operation]),
                    body_shape=body_shape(body) if body is not None else "(none)",
                    response=response.text[:600] if response is not None else text,
                )
            )
        return response if expected else None

    def run(self, deadline: float) -> None:
        operations: list[Callable[[], None]] = [
            self.publish, self.republish, self.verify, self.for_verification,
            self.can_i_deploy, self.record_deployment,
        ]  # fmt: skip
        weights = [30, 5, 20, 15, 25, 5]
        with loopback_client(self.base_url) as self.http:
            while time.monotonic() < deadline:
                self.rng.choices(operations, weights)[0]()

    # -- operations

    def publish(self, *, branch: str | None = None) -> None:
        """A new consumer version: its current content, or now and then new content."""
        consumer = self.rng.choice(self.world.consumers)
        number = f"{self.world.run_id}.{self.index}.{next(self._numbers)}"
        pacts = {p: self.world.content[consumer, p] for p in self.world.providers_of[consumer]}
        if self.rng.random() < CHANGED_CONTENT:
            revision = self.world.next_revision()
            pacts = {p: _pact(consumer, p, revision=revision) for p in pacts}
        published = Published(consumer, number, branch or self.rng.choice(BRANCHES), pacts)
        response = self.send(PUBLISH, "POST", "/contracts/publish", _publish_body(published))
        if response is not None:
            links = response.json().get("_links", {}).get("pb:contracts", [])
            self.world.add_published(published, [link["href"] for link in links])

    def republish(self) -> None:
        """A version published before: the same content (accepted) or changed content (409)."""
        published = self.world.pick_published(self.rng)
        if published is None:
            return
        if self.rng.random() < 0.5:
            self.send(REPUBLISH_SAME, "POST", "/contracts/publish", _publish_body(published))
            return
        revision = self.world.next_revision()
        changed = Published(
            published.consumer,
            published.number,
            published.branch,
            {p: _changed(pact, revision) for p, pact in published.pacts.items()},
        )
        self.send(REPUBLISH_CHANGED, "POST", "/contracts/publish", _publish_body(changed))

    def verify(self) -> None:
        """GET a pact, put a provider version on a branch, publish a result to the pact's link."""
        url = self.world.pick_pact_url(self.rng)
        if url is None:
            return
        pact = self.send(GET_PACT, "GET", _local(url))
        if pact is None:
            return
        document = pact.json()
        provider = document["provider"]["name"]
        number = f"{self.world.run_id}.p{self.index}.{next(self._numbers)}"
        branch = self.rng.choice(BRANCHES)
        put = f"/pacticipants/{quote(provider)}/branches/{branch}/versions/{quote(number)}"
        if self.send(PROVIDER_BRANCH, "PUT", put, {}) is None:
            return
        result = {
            "success": self.rng.random() < 0.8,
            "providerApplicationVersion": number,
            "buildUrl": f"https://ci.example.com/{provider}/{number}",
            "verifiedBy": {"implementation": "soak", "version": "1"},
        }
        href = document["_links"]["pb:publish-verification-results"]["href"]
        if self.send(VERIFY, "POST", _local(href), result) is not None:
            self.world.add_provider_version(provider, number)

    def for_verification(self) -> None:
        provider = self.rng.choice(
            sorted({p for ps in self.world.providers_of.values() for p in ps})
        )
        body = {
            "consumerVersionSelectors": [
                {"mainBranch": True},
                {"deployedOrReleased": True},
                {"matchingBranch": True},
            ],
            "providerVersionBranch": self.rng.choice(BRANCHES),
            "includePendingStatus": True,
            "includeWipPactsSince": "2020-01-01",
        }
        url = f"/pacts/provider/{quote(provider)}/for-verification"
        response = self.send(FOR_VERIFICATION, "POST", url, body)
        if response is not None:
            pacts = response.json().get("_embedded", {}).get("pacts", [])
            self.world.add_pact_urls([p["_links"]["self"]["href"] for p in pacts])

    def can_i_deploy(self) -> None:
        """The two ways clients ask: ``/can-i-deploy`` and the CLI's ``/matrix`` query."""
        chosen = self.world.pick_version(self.rng)
        if chosen is None:
            return
        name, number = quote(chosen[0]), quote(chosen[1])
        environment = self.rng.choice(sorted(self.world.environments))
        if self.rng.random() < 0.5:
            url = f"/can-i-deploy?pacticipant={name}&version={number}&environment={environment}"
            self.send(CAN_I_DEPLOY, "GET", url)
        else:
            url = (
                f"/matrix?q[][pacticipant]={name}&q[][version]={number}"
                f"&latestby=cvp&environment={environment}"
            )
            self.send(MATRIX, "GET", url)

    def record_deployment(self) -> None:
        chosen = self.world.pick_version(self.rng)
        if chosen is None:
            return
        environment = self.world.environments[self.rng.choice(sorted(self.world.environments))]
        url = (
            f"/pacticipants/{quote(chosen[0])}/versions/{quote(chosen[1])}"
            f"/deployed-versions/environment/{environment}"
        )
        body = {"applicationInstance": f"soak-{self.rng.randint(1, 2)}"}
        self.send(RECORD_DEPLOYMENT, "POST", url, body)


def _changed(pact: dict[str, Any], revision: int) -> dict[str, Any]:
    changed = copy.deepcopy(pact)
    content = changed["interactions"][0]["response"]["body"]["content"]
    content[f"changed{revision}"] = revision
    return changed


def _local(url: str) -> str:
    """A link from the broker as a path: the client only ever talks to the loopback base URL."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _path_shape(url: str, world: World) -> str:
    """The URL with this run's names, numbers and SHAs as placeholders: equal failures group."""
    path, _, query = url.partition("?")
    for name in (*world.consumers, *world.providers):
        path = path.replace(quote(name), "{pacticipant}")
    for environment in world.environments.values():
        path = path.replace(environment, "{environment}")
    parts = [_segment_shape(part, world.run_id) for part in path.split("/")]
    keys = [pair.split("=", 1)[0] for pair in query.split("&") if pair]
    return "/".join(parts) + ("?" + "&".join(f"{k}=..." for k in keys) if keys else "")


def _segment_shape(segment: str, run_id: str) -> str:
    if segment.startswith(f"{run_id}."):
        return "{version}"
    if len(segment) == 40 and all(c in "0123456789abcdef" for c in segment):
        return "{sha}"
    return "{metadata}" if len(segment) > 40 else segment


def run_id(base_url: str, *, prefix: str, seed: int) -> str:
    """The prefix of this run's names: the seed's alone on an empty broker (so a seeded run sends
    the same requests), made unique when the broker already holds data (a reused database)."""
    with loopback_client(base_url) as client:
        listing = client.get("/pacticipants", headers=HAL).json()
    known = listing.get("_embedded", {}).get("pacticipants") or listing.get("pacticipants")
    return f"{prefix}{seed}" if not known else f"{prefix}{seed}-{uuid.uuid4().hex[:6]}"


def set_up(world: World, recorder: Recorder, base_url: str, seed: int) -> None:
    """Environments first, then one version of every consumer (so every pacticipant exists)."""
    client = Client(index=0, world=world, recorder=recorder, base_url=base_url, seed=seed)
    with loopback_client(base_url) as client.http:
        for name, production in (
            (f"soak-{world.run_id}-test", False),
            (f"soak-{world.run_id}-production", True),
        ):
            response = client.send(
                CREATE_ENVIRONMENT,
                "POST",
                "/environments",
                {"name": name, "production": production},
            )
            if response is None:
                raise SoakError(f"could not create the environment {name}: see the failures")
            world.environments[name] = response.json()["uuid"]
        for consumer in world.consumers:
            number = f"{world.run_id}.0.{consumer}"
            pacts = {p: world.content[consumer, p] for p in world.providers_of[consumer]}
            published = Published(consumer, number, "main", pacts)
            response = client.send(PUBLISH, "POST", "/contracts/publish", _publish_body(published))
            if response is None:
                raise SoakError(f"could not publish {consumer} {number}: see the failures")
            links = response.json()["_links"]["pb:contracts"]
            world.add_published(published, [link["href"] for link in links])
