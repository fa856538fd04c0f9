"""Two requests touching the same rows in opposite orders must not deadlock (PostgreSQL).

A publish with providers [A, B] beside one with [B, A], or a version tagged [e1, e2] beside
one tagged [e2, e1] (tags named like environments record deployments, which lock them): the
broker takes the rows in name order, so all of them succeed.
"""

from __future__ import annotations

from typing import Any

from tests.support import http_client as http
from tests.support.pacts import publish_body, renamed, sample_pact
from tests.support.server import LiveBroker
from tests.support.waves import WAVE, publish, released_together, stored_pact


def _contract(provider: str) -> dict[str, Any]:
    contract: dict[str, Any] = publish_body(renamed(sample_pact(), provider=provider), "-")[
        "contracts"
    ][0]
    return contract


def test_publishes_listing_providers_in_opposite_orders_all_succeed(broker: LiveBroker) -> None:
    assert (
        publish(broker.url, renamed(sample_pact(), provider="c-provider"), "1.0.0").status_code
        == 200
    )

    def request(i: int) -> http.Response:
        providers = ["a-provider", "b-provider"] if i % 2 else ["b-provider", "a-provider"]
        body = {
            "pacticipantName": "billing-service",
            "pacticipantVersionNumber": "1.0.0" if i < WAVE // 2 else "1.0.1",
            "contracts": [_contract(p) for p in providers],
        }
        return http.post(f"{broker.url}/contracts/publish", json=body)

    responses = released_together(WAVE, request)

    assert [(r.status_code, r.text) for r in responses if r.status_code != 200] == []
    for version in ("1.0.0", "1.0.1"):
        for provider in ("a-provider", "b-provider"):
            found = stored_pact(broker.url, "billing-service", provider, version)
            assert found.status_code == 200, (version, provider)


def test_versions_tagged_with_environments_in_opposite_orders_all_succeed(
    broker: LiveBroker,
) -> None:
    for name in ("e1", "e2"):
        created = http.post(f"{broker.url}/environments", json={"name": name, "production": False})
        assert created.status_code == 201

    def request(i: int) -> http.Response:
        tags = ["e1", "e2"] if i % 2 else ["e2", "e1"]
        return http.put(
            f"{broker.url}/pacticipants/billing-service/versions/2.0.{i}",
            json={"tags": [{"name": t} for t in tags]},
        )

    responses = released_together(WAVE, request)

    assert [(r.status_code, r.text) for r in responses if r.status_code >= 300] == []
