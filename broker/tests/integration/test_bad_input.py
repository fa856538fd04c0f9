"""Bad input never makes a 500: each endpoint answers a clear 4xx and stores nothing.

Every case runs against a broker seeded with a pact, a verification, an environment, a
deployment, a release and a webhook; the broker's whole state is compared before and after.
Every error is HAL JSON, and a case may say which field its errors must name. Odd but valid
names (spaces, unicode, an encoded ``/``) must round-trip.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest

from tests.support import http_client as http
from tests.support.pacts import CONSUMER, PROVIDER, publish_body, renamed, sample_pact
from tests.support.server import LiveBroker

LONG = "x" * 300
PAIR = f"/pacts/provider/{PROVIDER}/consumer/{CONSUMER}"
ERROR_TYPE = "application/hal+json;charset=utf-8"
WEBHOOK = "0d6c1e2a-5b4f-4c3e-9a8b-7f6e5d4c3b2a"
NEW_WEBHOOK = "9a0b6e2c-1111-2222-3333-444455556666"


def seg(name: str) -> str:
    return quote(name, safe="")


@dataclass(frozen=True)
class Seed:
    environment: str
    deployed: str
    released: str
    sha: str


@dataclass(frozen=True)
class Case:
    """A request and the status it must get; ``body`` is JSON unless ``raw`` is given.

    ``field``: a key its ``errors`` must have; ``says``: text its error body must contain.
    """

    method: str
    path: str
    status: int
    body: Any = None
    raw: bytes | None = None
    content_type: str = "application/json"
    field: str | None = None
    says: str | None = None

    def send(self, broker: LiveBroker, seed: Seed) -> http.Response:
        path = self.path.format(
            env=seed.environment,
            deployed=seed.deployed,
            released=seed.released,
            sha=seed.sha,
            webhook=WEBHOOK,
        )
        content = self.raw if self.raw is not None else json.dumps(self.body).encode()
        if self.body is None and self.raw is None:
            content = b""
        return http.request(
            self.method,
            broker.url + path,
            content=content,
            headers={"content-type": self.content_type},
        )


def seed(broker: LiveBroker) -> Seed:
    def ok(method: str, path: str, body: Any = None) -> Any:
        response = http.request(method, broker.url + path, json=body)
        assert response.status_code < 300, response.text
        return response.json()

    ok("POST", "/contracts/publish", publish_body(sample_pact(), "1", branch="main"))
    uuid = ok("POST", "/environments", {"name": "test", "production": False})["uuid"]
    version = f"/pacticipants/{CONSUMER}/versions/1"
    deployed = ok("POST", f"{version}/deployed-versions/environment/{uuid}", {})
    released = ok("POST", f"{version}/released-versions/environment/{uuid}", {})
    sha = ok("GET", f"{PAIR}/version/1")["_links"]["pb:pact-version"]["name"]
    verification = {"success": True, "providerApplicationVersion": "p1"}
    ok("POST", f"{PAIR}/pact-version/{sha}/verification-results", verification)
    ok("PUT", f"/webhooks/{WEBHOOK}", webhook_body())
    return Seed(uuid, deployed["uuid"], released["uuid"], sha)


def webhook_body(**request: Any) -> dict[str, Any]:
    """A valid webhook definition; ``request`` overrides fields of its request."""
    return {
        "description": "verify changed pacts",
        "events": [{"name": "contract_content_changed"}],
        "provider": {"name": PROVIDER},
        "request": {
            "method": "POST",
            "url": "https://ci.example/hooks?pact=${pactbroker.pactUrl}",
            "headers": {"Content-Type": "application/json"},
            "body": {"pact": "${pactbroker.pactUrl}"},
            **request,
        },
    }


def _without_links(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_links(v) for k, v in value.items() if k not in {"_links", "updatedAt"}}
    if isinstance(value, list):
        return [_without_links(v) for v in value]
    return value


def snapshot(broker: LiveBroker) -> dict[str, Any]:
    """Everything a bad request could have changed."""

    def get(path: str) -> Any:
        response = http.get(broker.url + path)
        return response.json() if response.status_code == 200 else response.status_code

    state: dict[str, Any] = {
        "environments": _without_links(get("/environments")),
        "webhooks": _without_links(get("/webhooks")),
    }
    names = [p["name"] for p in get("/pacticipants")["pacticipants"]]
    for name in names:
        state[f"pacticipant {name}"] = _without_links(get(f"/pacticipants/{seg(name)}"))
        for listed in get(f"/pacticipants/{seg(name)}/versions")["_embedded"]["versions"]:
            number = listed["number"]
            version = get(f"/pacticipants/{seg(name)}/versions/{seg(number)}")
            links = version["_links"]
            state[f"version {name} {number}"] = [
                _without_links(version),
                links["pb:deployed-environments"],
                links["pb:released-environments"],
            ]
            for provider in names:
                pair = f"/pacts/provider/{seg(provider)}/consumer/{seg(name)}"
                pact = get(f"{pair}/version/{seg(number)}")
                if isinstance(pact, dict):
                    sha = pact["_links"]["pb:pact-version"]["name"]
                    state[f"pact {name} {number} {provider}"] = sha
                    latest = get(f"{pair}/pact-version/{sha}/verification-results/latest")
                    state[f"verification {sha}"] = _without_links(latest)
    return state


@pytest.fixture
def seeded(broker: LiveBroker) -> tuple[LiveBroker, Seed, dict[str, Any]]:
    """A seeded broker, its seed, and its state before the test."""
    seed_ = seed(broker)
    return broker, seed_, snapshot(broker)


def check(broker: LiveBroker, seed_: Seed, before: dict[str, Any], cases: list[Case]) -> None:
    """Send each case; collect every deviation, then fail once listing them all."""
    problems: list[str] = []
    for case in cases:
        response = case.send(broker, seed_)
        sent = case.raw if case.raw is not None else json.dumps(case.body).encode()
        label = f"{case.method} {case.path} {sent[:80]!r}"
        if response.status_code != case.status:
            problems.append(f"{label}: {response.status_code} {response.text[:300]}")
            continue
        if response.headers["content-type"] != ERROR_TYPE:
            problems.append(f"{label}: content type {response.headers['content-type']}")
            continue
        body = response.json()
        error, errors = (
            (body.get("error"), body.get("errors")) if isinstance(body, dict) else (0, 0)
        )
        if not (isinstance(error, str) and error) and not (
            isinstance(errors, dict | list) and errors
        ):
            problems.append(f"{label}: body without error(s): {response.text[:300]}")
        elif case.field is not None and not (isinstance(errors, dict) and case.field in errors):
            problems.append(f"{label}: errors do not name {case.field!r}: {response.text[:300]}")
        elif case.says is not None and case.says not in json.dumps(body, ensure_ascii=False):
            problems.append(f"{label}: the error does not say {case.says!r}: {response.text[:300]}")
    after = snapshot(broker)
    if after != before:
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        problems.append(f"state changed: {changed}")
    assert not problems, "\n".join(problems)


def b64(value: str | bytes) -> str:
    raw = value.encode() if isinstance(value, str) else value
    return base64.b64encode(raw).decode()


def contract(**fields: Any) -> dict[str, Any]:
    """A publish body for version 2 with the contract's fields overridden."""
    return publish_body(sample_pact(), "2", **fields)


def publish_with(**top: Any) -> dict[str, Any]:
    return {**publish_body(sample_pact(), "2"), **top}


# Every endpoint that takes a JSON body (webhook paths included: they must not 500 either).
JSON_ENDPOINTS = [
    ("POST", "/contracts/publish"),
    ("POST", "/pacticipants"),
    ("PATCH", f"/pacticipants/{CONSUMER}"),
    ("PUT", f"/pacticipants/{CONSUMER}"),
    ("PUT", f"/pacticipants/{CONSUMER}/versions/1"),
    ("PATCH", f"/pacticipants/{CONSUMER}/versions/1"),
    ("PUT", f"/pacticipants/{CONSUMER}/branches/main/versions/1"),
    ("PUT", f"/pacticipants/{CONSUMER}/versions/1/tags/prod"),
    ("POST", "/environments"),
    ("PUT", "/environments/{env}"),
    ("POST", f"/pacticipants/{CONSUMER}/versions/1/deployed-versions/environment/{{env}}"),
    ("POST", f"/pacticipants/{CONSUMER}/versions/1/released-versions/environment/{{env}}"),
    ("PATCH", "/deployed-versions/{deployed}"),
    ("PATCH", "/released-versions/{released}"),
    ("POST", f"/pacts/provider/{PROVIDER}/for-verification"),
    ("PUT", f"{PAIR}/version/1"),
    ("PATCH", f"{PAIR}/version/1"),
    ("POST", f"{PAIR}/pact-version/{{sha}}/verification-results"),
    ("POST", "/webhooks"),
    ("PUT", f"/webhooks/{NEW_WEBHOOK}"),
    ("PUT", "/webhooks/{webhook}"),
    ("POST", f"/webhooks/provider/{PROVIDER}/consumer/{CONSUMER}"),
]

DEEP = ("[" * 100_000 + "]" * 100_000).encode()


def test_malformed_json_is_a_400_everywhere(
    seeded: tuple[LiveBroker, Seed, dict[str, Any]],
) -> None:
    raws = [b'{"name": ', b"{'single': 'quotes'}", b"\xff\xfe not utf-8", b'{"a": NaN, "b"', DEEP]
    check(*seeded, [Case(m, p, 400, raw=raw) for m, p in JSON_ENDPOINTS for raw in raws])


def test_json_that_is_not_an_object_is_a_400_everywhere(
    seeded: tuple[LiveBroker, Seed, dict[str, Any]],
) -> None:
    bodies: list[Any] = [[1, 2], "text", 3, True, None]
    cases = [Case(m, p, 400, raw=json.dumps(b).encode()) for m, p in JSON_ENDPOINTS for b in bodies]
    check(*seeded, cases)


def test_a_body_that_is_not_json_is_a_415_everywhere(
    seeded: tuple[LiveBroker, Seed, dict[str, Any]],
) -> None:
    cases = [
        Case(m, p, 415, raw=b'{"name": "x"}', content_type=kind)
        for m, p in JSON_ENDPOINTS
        for kind in ("text/plain", "application/x-www-form-urlencoded", "application/xml")
    ]
    check(*seeded, cases)


def test_a_body_over_the_limit_is_a_413_everywhere(
    make_broker: Callable[..., LiveBroker],
) -> None:
    broker = make_broker(max_body_bytes=2048)
    seed_ = seed(broker)
    before = snapshot(broker)
    big = json.dumps({"name": "x", "padding": "y" * 4096}).encode()
    check(broker, seed_, before, [Case(m, p, 413, raw=big) for m, p in JSON_ENDPOINTS])


def test_publish_validation(seeded: tuple[LiveBroker, Seed, dict[str, Any]]) -> None:
    not_a_pact = b64(json.dumps({"hello": "world"}))
    no_provider = b64(json.dumps({"consumer": {"name": CONSUMER}, "interactions": []}))
    other_consumer = b64(json.dumps(renamed(sample_pact(), consumer="someone-else")))
    bodies: list[Any] = [
        {},
        publish_with(pacticipantName=None),
        publish_with(pacticipantName=42),
        publish_with(pacticipantName=""),
        publish_with(pacticipantName="   "),
        publish_with(pacticipantName="two\nlines"),
        publish_with(pacticipantName=LONG),
        publish_with(pacticipantVersionNumber=2),
        publish_with(pacticipantVersionNumber=""),
        publish_with(pacticipantVersionNumber=LONG),
        publish_with(pacticipantVersionNumber="a\x00b"),
        publish_with(branch=""),
        publish_with(branch=["main"]),
        publish_with(branch="a\nb"),
        publish_with(tags="dev"),
        publish_with(tags=[1]),
        publish_with(tags=[""]),
        publish_with(tags=[LONG]),
        publish_with(buildUrl=5),
        publish_with(contracts="x"),
        publish_with(contracts=[]),
        publish_with(contracts=[1]),
        publish_with(contracts=[{}]),
        contract(content="%%% not base64 %%%"),
        contract(content="aGVsbG8"),  # unpadded
        contract(content=b64("not json")),
        contract(content=b64(b"\xff\xfe\xfd")),
        contract(content=b64("[1, 2]")),
        contract(content=b64(DEEP)),
        contract(content=not_a_pact),
        contract(content=no_provider),
        contract(content=other_consumer),
        contract(content=b64(json.dumps({**sample_pact(), "interactions": {"a": 1}}))),
        contract(content=12),
        contract(consumerName="someone-else"),
        contract(providerName="other-provider"),
        contract(specification="oas"),
        contract(contentType="application/yaml"),
        contract(onConflict="replace"),
    ]
    twice = contract()
    twice["contracts"] = twice["contracts"] * 2
    cases = [Case("POST", "/contracts/publish", 400, body=b) for b in bodies]
    cases.append(
        Case("POST", "/contracts/publish", 400, body=twice, field="contracts.1.providerName")
    )
    check(*seeded, cases)


def test_pacticipant_version_tag_and_branch_validation(
    seeded: tuple[LiveBroker, Seed, dict[str, Any]],
) -> None:
    base = f"/pacticipants/{CONSUMER}"
    cases = [
        Case("POST", "/pacticipants", 400, body={}),
        Case("POST", "/pacticipants", 400, body={"name": 7}),
        Case("POST", "/pacticipants", 400, body={"name": ""}),
        Case("POST", "/pacticipants", 400, body={"name": LONG}),
        Case("POST", "/pacticipants", 400, body={"name": "x", "mainBranch": "has space"}),
        Case("POST", "/pacticipants", 400, body={"name": "x", "displayName": 5}),
        Case("POST", "/pacticipants", 400, body={"name": "x", "displayName": LONG}),
        Case("POST", "/pacticipants", 400, body={"name": "x", "repositoryName": LONG}),
        Case("POST", "/pacticipants", 400, body={"name": "x", "repositoryNamespace": LONG}),
        Case("POST", "/pacticipants", 400, body={"name": "x", "repositoryUrl": ["u"]}),
        Case("POST", "/pacticipants", 409, body={"name": CONSUMER}),
        Case("PATCH", base, 400, body={"name": "renamed"}),
        Case("PATCH", base, 400, body={"mainBranch": 3}),
        Case("PATCH", base, 400, body={"displayName": LONG}),
        Case("PUT", "/pacticipants/nobody", 404, body={}),
        Case("PUT", f"{base}/versions/1", 400, body={"tags": "prod"}),
        Case("PUT", f"{base}/versions/1", 400, body={"tags": [{"name": 1}]}),
        Case("PUT", f"{base}/versions/1", 400, body={"tags": [{"name": LONG}]}),
        Case("PUT", f"{base}/versions/1", 400, body={"branch": 5}),
        Case("PUT", f"{base}/versions/1", 400, body={"buildUrl": 5}),
        Case("PUT", f"{base}/versions/{LONG}", 400, body={}),
        Case("PUT", f"{base}/versions/1/tags/{LONG}", 400, body={}),
        Case("PUT", f"{base}/branches/{LONG}/versions/1", 400, body={}),
        Case("PUT", f"/pacticipants/{LONG}/versions/1/tags/prod", 400, body={}),
        Case("PUT", f"{base}/versions/1/tags/%20", 400, body={}),
        Case("DELETE", f"{base}/branches/nope", 404),
        Case("DELETE", f"{base}/versions/1/tags/nope", 404),
        Case("GET", f"{base}/versions/nope", 404),
        Case("GET", f"{base}/latest-version/nope", 404),
        Case("GET", "/pacticipants/nobody", 404),
    ]
    check(*seeded, cases)


def test_environment_and_deployment_validation(
    seeded: tuple[LiveBroker, Seed, dict[str, Any]],
) -> None:
    deploy = f"/pacticipants/{CONSUMER}/versions/1/deployed-versions/environment/{{env}}"
    cases = [
        Case("POST", "/environments", 400, body={"production": True}),
        Case("POST", "/environments", 400, body={"name": "has space", "production": True}),
        Case("POST", "/environments", 400, body={"name": "test", "production": True}),
        Case("POST", "/environments", 400, body={"name": "prod"}),
        Case("POST", "/environments", 400, body={"name": "prod", "production": "yes"}),
        Case(
            "POST",
            "/environments",
            400,
            body={"name": "prod", "production": True, "displayName": LONG},
        ),
        Case(
            "POST", "/environments", 400, body={"name": "prod", "production": True, "contacts": "x"}
        ),
        Case(
            "POST",
            "/environments",
            400,
            body={"name": "prod", "production": True, "contacts": [{"name": 1}]},
        ),
        Case(
            "POST",
            "/environments",
            400,
            body={"name": "prod", "production": True, "contacts": [{"name": "a", "details": []}]},
        ),
        Case("POST", "/environments", 400, body={"name": LONG, "production": True}),
        Case("POST", "/environments", 400, body={"name": "prod", "production": True, "uuid": 5}),
        Case("PUT", "/environments/nope", 404, body={"name": "x", "production": True}),
        Case("GET", "/environments/nope", 404),
        Case("POST", deploy, 400, body={"applicationInstance": 5}),
        Case("POST", deploy, 400, body={"applicationInstance": LONG}),
        Case(
            "POST",
            f"/pacticipants/{CONSUMER}/versions/9/deployed-versions/environment/{{env}}",
            404,
            body={},
        ),
        Case(
            "POST",
            f"/pacticipants/{CONSUMER}/versions/1/deployed-versions/environment/nope",
            404,
            body={},
        ),
        Case("PATCH", "/deployed-versions/{deployed}", 400, body={"currentlyDeployed": "no"}),
        Case("PATCH", "/released-versions/{released}", 400, body={"currentlySupported": 0}),
        Case("PATCH", "/deployed-versions/nope", 404, body={"currentlyDeployed": False}),
    ]
    check(*seeded, cases)


def test_pacts_for_verification_validation(
    seeded: tuple[LiveBroker, Seed, dict[str, Any]],
) -> None:
    path = f"/pacts/provider/{PROVIDER}/for-verification"

    def selectors(*items: Any, **extra: Any) -> dict[str, Any]:
        return {"consumerVersionSelectors": list(items), **extra}

    bodies: list[Any] = [
        {"consumerVersionSelectors": "main"},
        selectors(1),
        selectors({}),
        selectors({"latest": False}),
        selectors({"tag": 1}),
        selectors({"tag": ""}),
        selectors({"latest": "maybe", "tag": "x"}),
        selectors({"mainBranch": True, "tag": "x"}),
        selectors({"branch": "a", "tag": "b"}),
        selectors({"branch": "a", "deployed": True}),
        selectors({"deployed": True, "released": True}),
        selectors({"matchingBranch": True}),
        selectors({"fallbackTag": "x"}),
        selectors({"fallbackBranch": "x", "tag": "t"}),
        selectors({"branch": "a", "latest": False}),
        selectors({"unknown": 1, "latest": True}),
        selectors({"environment": "nowhere"}),
        selectors(includePendingStatus="yes"),
        selectors(includeWipPactsSince="yesterday"),
        selectors(includeWipPactsSince=20240101),
        selectors(providerVersionTags="dev"),
        selectors(providerVersionTags=[""]),
        selectors(providerVersionBranch=5),
        selectors(providerVersionBranch="", includePendingStatus=True),
    ]
    cases = [Case("POST", path, 400, body=b) for b in bodies]
    cases += [
        Case("POST", "/pacts/provider/nobody/for-verification", 404, body={}),
        Case("GET", "/pacts/provider/nobody/for-verification", 404),
        Case("GET", f"{path}?consumer_version_selectors[][latest]=maybe", 400),
        Case("GET", f"{path}?include_wip_pacts_since=never&provider_version_tags[]=x", 400),
    ]
    check(*seeded, cases)


def test_pact_and_verification_validation(
    seeded: tuple[LiveBroker, Seed, dict[str, Any]],
) -> None:
    results = f"{PAIR}/pact-version/{{sha}}/verification-results"
    cases = [
        Case("PUT", f"{PAIR}/version/1", 400, body={"hello": "world"}),
        Case("PUT", f"{PAIR}/version/2", 400, body=renamed(sample_pact(), consumer="other")),
        Case("PUT", f"{PAIR}/version/2", 400, body=renamed(sample_pact(), provider="other")),
        Case("PUT", f"{PAIR}/version/{LONG}", 400, body=sample_pact()),
        Case("PUT", f"{PAIR}/version/1", 409, body={**sample_pact(), "interactions": []}),
        Case("POST", results, 400, body={}),
        Case("POST", results, 400, body={"success": "yes", "providerApplicationVersion": "2"}),
        Case("POST", results, 400, body={"success": True}),
        Case("POST", results, 400, body={"success": True, "providerApplicationVersion": ""}),
        Case("POST", results, 400, body={"success": True, "providerApplicationVersion": LONG}),
        Case("POST", results, 400, body={"success": True, "providerApplicationVersion": 2}),
        Case(
            "POST",
            results,
            400,
            body={"success": True, "providerApplicationVersion": "2", "buildUrl": "not a url"},
        ),
        Case(
            "POST",
            results,
            400,
            body={"success": True, "providerApplicationVersion": "2", "testResults": "x"},
        ),
        Case(
            "POST",
            results,
            400,
            body={"success": True, "providerApplicationVersion": "2", "verifiedBy": "x"},
        ),
        Case(
            "POST",
            f"{PAIR}/pact-version/0000/verification-results",
            404,
            body={"success": True, "providerApplicationVersion": "2"},
        ),
        Case("GET", f"{PAIR}/pact-version/{{sha}}/verification-results/abc", 400),
        Case("GET", f"{PAIR}/pact-version/{{sha}}/verification-results/0", 404),
        Case(
            "GET", f"{PAIR}/pact-version/{{sha}}/verification-results/99999999999999999999999", 404
        ),
        Case("GET", f"{PAIR}/pact-version/{{sha}}/verification-results/-1", 404),
        Case("GET", f"{PAIR}/version/9", 404),
        Case("GET", f"{PAIR}/pact-version/nope", 404),
        Case("GET", f"{PAIR}/latest/nope", 404),
        Case("GET", f"/pacts/provider/{PROVIDER}/consumer/nobody/latest", 404),
        Case("GET", "/pacts/provider/nobody/latest", 404),
    ]
    check(*seeded, cases)


# --- numbers JSON cannot hold ----------------------------------------------------------------

NUMBER = "@number@"
NOT_JSON_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"]


def with_number(value: Any, number: str) -> bytes:
    """``value`` as JSON text with the string ``NUMBER`` in it written as the bare ``number``."""
    return json.dumps(value).replace(f'"{NUMBER}"', number).encode()


def pact_with(number: str) -> bytes:
    pact = sample_pact()
    pact["interactions"][0]["response"]["body"] = {"balance": NUMBER}
    return with_number(pact, number)


def test_nan_and_infinity_are_a_400_where_json_is_parsed(
    seeded: tuple[LiveBroker, Seed, dict[str, Any]],
) -> None:
    """Python's json accepts NaN and Infinity (and makes 1e400 infinite); JSON has neither.

    Each body is otherwise valid, so accepting the number would store something.
    """
    results = {
        "success": True,
        "providerApplicationVersion": "p2",
        "testResults": [{"interactionId": "a", "success": True, "duration": NUMBER}],
    }
    contacts = [{"name": "ops", "details": {"pager": NUMBER}}]
    hook = webhook_body(body={"retries": NUMBER})
    metadata = b64(json.dumps({"cv": "1"})).rstrip("=")
    bodies: list[tuple[str, str, Any]] = [
        ("PUT", f"{PAIR}/version/3", None),
        ("PATCH", f"{PAIR}/version/3", None),
        ("POST", f"{PAIR}/pact-version/{{sha}}/verification-results", results),
        ("POST", f"{PAIR}/pact-version/{{sha}}/metadata/{metadata}/verification-results", results),
        ("POST", "/environments", {"name": "prod", "production": True, "contacts": contacts}),
        ("PUT", "/environments/{env}", {"name": "test", "production": False, "contacts": contacts}),
        ("POST", "/webhooks", hook),
        ("PUT", f"/webhooks/{NEW_WEBHOOK}", hook),
        ("PUT", "/webhooks/{webhook}", hook),
    ]
    cases = []
    for number in NOT_JSON_NUMBERS:
        for method, path, body in bodies:
            raw = pact_with(number) if body is None else with_number(body, number)
            cases.append(Case(method, path, 400, raw=raw, says=number))
        content = b64(pact_with(number))
        cases.append(
            Case(
                "POST",
                "/contracts/publish",
                400,
                body=contract(content=content),
                field="contracts.0.content",
                says=number,
            )
        )
        cases += [
            Case(m, p, 400, raw=with_number({"name": NUMBER}, number)) for m, p in JSON_ENDPOINTS
        ]
    check(*seeded, cases)


# --- webhook definitions ----------------------------------------------------------------------

BAD_WEBHOOK_REQUESTS: list[tuple[dict[str, Any], str, str]] = [
    # (request fields, the field named, text the error says)
    ({"url": "https://[::1/x"}, "request.url", "https://[::1/x"),
    ({"url": "https://ci.example:99999/hook"}, "request.url", "port"),
    ({"url": "https://ci.example:65536/hook"}, "request.url", "port"),
    ({"url": "https://ci.example:0/hook"}, "request.url", "port"),
    ({"url": "https://ci.example:-1/hook"}, "request.url", "port"),
    ({"url": "https://ci.example:http/hook"}, "request.url", "port"),
    ({"url": "https://ci.example:${pactbroker.buildUrl}/hook"}, "request.url", "port"),
    ({"url": "https://ci.example/a b"}, "request.url", "space"),
    ({"url": "https://ci.exa mple/hook"}, "request.url", "space"),
    ({"url": "https://ci.example/\r\nHost: evil"}, "request.url", "control"),
    ({"url": "https://ci.example/bücher"}, "request.url", "ASCII"),
    ({"url": "not a url"}, "request.url", "not a url"),
    ({"url": "https:///path-only"}, "request.url", "host"),
    ({"url": "https://${pactbroker.consumerName}.example/"}, "request.url", "template"),
    ({"url": "http://ci.example/hook"}, "request.url", "http"),
    ({"url": 5}, "request.url", "missing"),
    ({"method": "PO ST"}, "request.method", "token"),
    ({"method": "POST\r\n"}, "request.method", "token"),
    ({"method": "GET"}, "request.method", "GET"),
    ({"method": ""}, "request.method", "missing"),
    ({"headers": {"X Foo": "1"}}, "request.headers.X Foo", "X Foo"),
    ({"headers": {"X-Foo:": "1"}}, "request.headers.X-Foo:", "colon"),
    ({"headers": {"": "1"}}, "request.headers.", "header name"),
    ({"headers": {"X-Föö": "1"}}, "request.headers.X-Föö", "header name"),
    (
        {"headers": {"X-${pactbroker.consumerName} Id": "1"}},
        "request.headers.X-${pactbroker.consumerName} Id",
        "header name",
    ),
    ({"headers": {"X-Foo": "a\r\nX-Injected: 1"}}, "request.headers.X-Foo", "line feed"),
    ({"headers": {"X-Foo": "a\nb"}}, "request.headers.X-Foo", "line feed"),
    ({"headers": {"X-Foo": "a\rb"}}, "request.headers.X-Foo", "carriage return"),
    ({"headers": {"X-Foo": "a\u0000b"}}, "request.headers.X-Foo", "NUL"),
    ({"headers": {"X-Foo": 1}}, "request.headers.X-Foo", "string"),
    ({"headers": {"X-Foo": None}}, "request.headers.X-Foo", "string"),
    ({"headers": ["Content-Type: application/json"]}, "request.headers", "object"),
    ({"username": 5}, "request.username", "string"),
    ({"password": ["p"]}, "request.password", "string"),
]

BAD_WEBHOOK_FIELDS: list[tuple[dict[str, Any], str, str]] = [
    ({"consumer": {"name": CONSUMER, "label": "team-a"}}, "consumer.label", "same time"),
    ({"provider": {"name": PROVIDER, "label": "team-a"}}, "provider.label", "same time"),
    ({"consumer": {}}, "consumer.name", "blank"),
    ({"consumer": {"name": "  "}}, "consumer.name", "blank"),
    ({"provider": {"label": ""}}, "provider.name", "blank"),
    ({"provider": {"name": None, "label": None}}, "provider.name", "blank"),
    ({"consumer": {"label": 5}}, "consumer.label", "string"),
    ({"consumer": {"label": "a\nb"}}, "consumer.label", "new line"),
    ({"consumer": {"label": LONG}}, "consumer.label", "longer"),
    ({"consumer": {"name": "nobody"}}, "consumer.name", "nobody"),
    ({"consumer": "team-a"}, "consumer", "label"),
    ({"provider": ["x"]}, "provider", "label"),
    ({"description": 5}, "description", "string"),
    ({"description": "a\u0000b"}, "description", "NUL"),
    ({"enabled": "yes"}, "enabled", "boolean"),
    ({"events": []}, "events", "non-empty"),
    ({"events": "contract_published"}, "events", "list"),
    ({"events": [{"name": "nope"}]}, "events.0.name", "contract_published"),
    ({"events": ["contract_published"]}, "events.0.name", "contract_published"),
]


def test_bad_webhook_definitions_are_a_400_naming_the_field(
    seeded: tuple[LiveBroker, Seed, dict[str, Any]],
) -> None:
    """At creation (POST, PUT of a new uuid, per-pair POST) and update (PUT of the seeded one)."""
    bodies = [
        (webhook_body(**request), field, says) for request, field, says in BAD_WEBHOOK_REQUESTS
    ]
    bodies += [
        ({**webhook_body(), **side}, field, says) for side, field, says in BAD_WEBHOOK_FIELDS
    ]
    cases = [
        Case(method, path, 400, body=body, field=field, says=says)
        for body, field, says in bodies
        for method, path in (
            ("POST", "/webhooks"),
            ("PUT", f"/webhooks/{NEW_WEBHOOK}"),
            ("PUT", "/webhooks/{webhook}"),
        )
    ]
    pair = f"/webhooks/provider/{PROVIDER}/consumer/{CONSUMER}"
    cases += [
        Case("POST", pair, 400, body=webhook_body(**request), field=field, says=says)
        for request, field, says in BAD_WEBHOOK_REQUESTS
    ]
    check(*seeded, cases)


# --- odd names -----------------------------------------------------------------------------

BAD_NAMES = [
    ("empty", ""),
    ("blank", "   "),
    ("new line", "a\nb"),
    ("NUL", "a\x00b"),
    ("dot dot", ".."),
    ("dot", "."),
    ("too long", "n" * 256),
    ("lone surrogate", "\ud800"),
]


NAME_FIELDS = ("pacticipantName", "pacticipantVersionNumber", "branch", "tag")


def _publish_with_name(field: str, name: str) -> bytes:
    pact = sample_pact()
    if field == "pacticipantName":
        body = publish_body(renamed(pact, consumer=name), "2")
    elif field == "tag":
        body = publish_body(pact, "2", tags=[name])
    else:
        body = {**publish_body(pact, "2"), field: name}
    return json.dumps(body).encode()  # ensure_ascii: a lone surrogate travels as \ud800


def test_unusable_names_are_refused_when_publishing(
    seeded: tuple[LiveBroker, Seed, dict[str, Any]],
) -> None:
    cases = [
        Case("POST", "/contracts/publish", 400, raw=_publish_with_name(field, name))
        for _, name in BAD_NAMES
        for field in NAME_FIELDS
    ]
    check(*seeded, cases)


ODD_PATHS = [
    "/pacticipants/a%00b",
    "/pacticipants/%ED%A0%80",
    f"/pacticipants/{CONSUMER}/versions/1%002",
    f"/pacts/provider/a%00b/consumer/{CONSUMER}/latest",
    "/environments/%00",
    "/environments?name=%00",
    "/environments/{env}/deployed-versions/currently-deployed?pacticipant=%00",
    "/environments/{env}/released-versions/currently-supported?pacticipant=%00",
    f"/pacticipants/{'n' * 5000}",
    f"/pacticipants/{CONSUMER}/latest-version/%00",
    "/pacts/provider/a%00b/for-verification",
    f"/pacts/provider/{PROVIDER}/branch/%00",
    "/pacticipants/..%2F..%2Fetc",
    "/pacticipants/%2E%2E",
]


def test_odd_names_in_paths_are_not_found_or_refused(
    seeded: tuple[LiveBroker, Seed, dict[str, Any]],
) -> None:
    broker, seed_, before = seeded
    problems = []
    for path in ODD_PATHS:
        response = http.get(broker.url + path.format(env=seed_.environment))
        if response.status_code not in {400, 404}:
            problems.append(f"{path}: {response.status_code} {response.text[:200]}")
        elif not set(response.json()) & {"error", "errors"}:
            problems.append(f"{path}: no error(s) in {response.text[:200]}")
    assert not problems, "\n".join(problems)
    assert snapshot(broker) == before


ODD_NAMES = [
    "Billing Desk",
    "bücher-dienst ✓",
    "订单服务",
    "team/billing",
    "a+b=c",
    "100%",
    "what?",
    "hash#tag",
    "semi;colon",
    "quote'n\"dq",
    "trailing dot.",
    "...three",
    "rocket 🚀",
    "n" * 255,
]


@pytest.mark.parametrize("name", ODD_NAMES, ids=lambda n: n[:20])
def test_odd_but_valid_names_round_trip(broker: LiveBroker, name: str) -> None:
    pact = renamed(sample_pact(), consumer=name, provider=f"{name[:200]} provider")
    provider = pact["provider"]["name"]
    version = f"{name[:200]} v1"

    def get(path: str) -> Any:
        response = http.get(path if path.startswith("http") else broker.url + path)
        assert response.status_code == 200, f"{path}: {response.text}"
        return response.json()

    published = http.post(
        broker.url + "/contracts/publish",
        json=publish_body(pact, version, branch=name, tags=[name]),
    )
    assert published.status_code == 200, published.text
    links = published.json()["_links"]
    for href in (
        links["pb:pacticipant"]["href"],
        links["pb:pacticipant-version"]["href"],
        links["pb:contracts"][0]["href"],
        links["pb:pacticipant-version-tags"][0]["href"],
    ):
        get(href)

    assert get(f"/pacticipants/{seg(name)}")["name"] == name
    stored = get(f"/pacticipants/{seg(name)}/versions/{seg(version)}")
    assert stored["number"] == version
    assert [t["name"] for t in stored["_embedded"]["tags"]] == [name]
    assert [b["name"] for b in stored["_embedded"]["branchVersions"]] == [name]
    assert get(f"/pacticipants/{seg(name)}/latest-version/{seg(name)}")["number"] == version
    on_branch = get(f"/pacticipants/{seg(name)}/branches/{seg(name)}/latest-version")
    assert on_branch["number"] == version
    fetched = get(f"/pacts/provider/{seg(provider)}/consumer/{seg(name)}/version/{seg(version)}")
    assert (fetched["consumer"]["name"], fetched["provider"]["name"]) == (name, provider)
    names = [p["name"] for p in get("/pacticipants")["pacticipants"]]
    assert sorted(names) == sorted([name, provider])
    to_verify = http.post(
        broker.url + f"/pacts/provider/{seg(provider)}/for-verification",
        json={"consumerVersionSelectors": [{"branch": name}]},
    )
    assert to_verify.status_code == 200, to_verify.text
    entry = to_verify.json()["_embedded"]["pacts"][0]
    get(entry["_links"]["self"]["href"])
    latest = get(f"/pacts/provider/{seg(provider)}/latest")
    get(latest["_links"]["pb:pacts"][0]["href"])


# --- the deprecated GET form of pacts-for-verification; build URLs that do not parse ------------

FOR_VERIFICATION = f"/pacts/provider/{PROVIDER}/for-verification"
QUERY_NAMES = [
    "consumer_version_selectors[][tag]",
    "consumer_version_selectors[][branch]",
    "provider_version_tags[]",
    "provider_version_branch",
]


def test_a_nul_in_the_for_verification_query_string_is_a_400_naming_the_parameter(
    seeded: tuple[LiveBroker, Seed, dict[str, Any]],
) -> None:
    """As a NUL in a JSON body is (PostgreSQL text cannot hold one)."""
    cases = [
        Case("GET", f"{FOR_VERIFICATION}?{name}=a%00b", 400, field=name, says="NUL")
        for name in QUERY_NAMES
    ]
    cases.append(
        Case(
            "GET",
            f"{FOR_VERIFICATION}?consumer_version_selectors[][branch]=main"
            "&consumer_version_selectors[][branch]=feat%00",
            400,
            field="consumer_version_selectors[][branch]",
        )
    )
    check(*seeded, cases)


def test_a_build_url_that_does_not_parse_is_a_400_naming_it(
    seeded: tuple[LiveBroker, Seed, dict[str, Any]],
) -> None:
    """``urlsplit`` refuses these (an unclosed IPv6 bracket; a netloc NFKC would change)."""
    results = f"{PAIR}/pact-version/{{sha}}/verification-results"
    cases = [
        Case(
            "POST",
            results,
            400,
            body={"success": True, "providerApplicationVersion": "2", "buildUrl": url},
            field="buildUrl",
            says=url,
        )
        for url in (
            "http://[::1",
            "http://[::1/build/7",
            "http://\uff03@x/",
            "https://ci.example\u2100/b",
        )
    ]
    check(*seeded, cases)
