"""A NUL character (``\\u0000``) in a JSON body's strings: 400 naming where, nothing stored.

PostgreSQL text cannot hold one, so before this was refused up front these requests were 500s
there (found by the fuzzer); SQLite stored them. A pact's own content may hold one: it is
stored as JSON text, escaped.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import http_client as http
from tests.support.pacts import sample_pact
from tests.support.server import LiveBroker
from tests.support.waves import publish, stored_pact, verification_url

NUL = "a\u0000b"


def _setup(broker: LiveBroker) -> dict[str, str]:
    assert publish(broker.url, sample_pact(), "1.0.0").status_code == 200
    environment = http.post(f"{broker.url}/environments", json={"name": "qa", "production": False})
    return {
        "verification": verification_url(
            broker.url, "billing-service", "user-service", "1.0.0"
        ).removeprefix(broker.url),
        "environment": environment.json()["uuid"],
    }


def _snapshot(broker: LiveBroker) -> Any:
    paths = ["/pacticipants", "/environments", "/webhooks"]
    return [http.get(f"{broker.url}{path}").json() for path in paths]


CASES = [
    ("PUT", "/pacticipants/billing-service", {"displayName": NUL}, "displayName"),
    ("PATCH", "/pacticipants/billing-service", {"repositoryUrl": NUL}, "repositoryUrl"),
    ("POST", "/pacticipants", {"name": "x", "repositoryName": NUL}, "repositoryName"),
    (
        "POST",
        "/pacts/provider/user-service/for-verification",
        {"providerVersionBranch": NUL},
        "providerVersionBranch",
    ),
    (
        "POST",
        "/pacts/provider/user-service/for-verification",
        {"consumerVersionSelectors": [{"branch": NUL}]},
        "consumerVersionSelectors.0.branch",
    ),
    (
        "POST",
        "/environments",
        {"name": "e", "displayName": NUL, "production": False},
        "displayName",
    ),
    (
        "POST",
        "{verification}",
        {"success": True, "providerApplicationVersion": "1", "buildUrl": NUL},
        "buildUrl",
    ),
    (
        "POST",
        "/pacticipants/billing-service/versions/1.0.0/deployed-versions/environment/{environment}",
        {"applicationInstance": NUL},
        "applicationInstance",
    ),
    ("POST", "/contracts/publish", {"pacticipantName": "c", "buildUrl": NUL}, "buildUrl"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), CASES)
def test_nul_in_a_body_string_is_a_400_naming_it(
    broker: LiveBroker, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    url = broker.url + path.format(**_setup(broker))
    before = _snapshot(broker)

    response = http.request(method, url, json=body)

    assert response.status_code == 400, response.text
    assert response.json() == {"errors": {field: ["cannot contain a NUL character (\\u0000)"]}}
    assert response.headers["content-type"] == "application/hal+json;charset=utf-8"
    assert _snapshot(broker) == before


def test_a_pact_may_hold_a_nul_in_its_content(broker: LiveBroker) -> None:
    pact = sample_pact()
    pact["interactions"][0]["response"]["body"] = {"note": NUL}

    response = publish(broker.url, pact, "2.0.0")

    assert response.status_code == 200, response.text
    stored = stored_pact(broker.url, "billing-service", "user-service", "2.0.0").json()
    assert stored["interactions"][0]["response"]["body"] == {"note": NUL}
