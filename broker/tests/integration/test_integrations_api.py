"""``GET /integrations``: every pair with a pact, its latest pact's time and its pact status."""

from __future__ import annotations

from tests.support import http_client as http
from tests.support.pacts import CONSUMER, PROVIDER, sample_pact
from tests.support.server import LiveBroker
from tests.support.waves import publish, verification_url

HAL = {"Accept": "application/hal+json"}


def integrations(broker: LiveBroker) -> list[dict[str, object]]:
    response = http.get(f"{broker.url}/integrations", headers=HAL)
    assert response.status_code == 200, response.text
    listed: list[dict[str, object]] = response.json()["_embedded"]["integrations"]
    return listed


def status(broker: LiveBroker) -> object:
    (item,) = integrations(broker)
    return item["verificationStatus"]


def test_each_integration_says_its_latest_pacts_status(broker: LiveBroker) -> None:
    assert integrations(broker) == []
    assert publish(broker.url, sample_pact(), "1.0.0").status_code == 200
    assert status(broker) == "unknown"
    url = verification_url(broker.url, CONSUMER, PROVIDER, "1.0.0")
    result = {"success": True, "providerApplicationVersion": "2.0.0"}
    assert http.post(url, json=result).status_code == 201
    assert status(broker) == "verified"
    changed = sample_pact()
    changed["interactions"][0]["description"] = "another request"
    assert publish(broker.url, changed, "1.1.0").status_code == 200
    assert status(broker) == "changed"
    failed = {"success": False, "providerApplicationVersion": "2.0.1"}
    url = verification_url(broker.url, CONSUMER, PROVIDER, "1.1.0")
    assert http.post(url, json=failed).status_code == 201
    (item,) = integrations(broker)
    assert item["verificationStatus"] == "failed"
    assert item["consumer"]["name"] == CONSUMER  # type: ignore[index]
    assert item["provider"]["name"] == PROVIDER  # type: ignore[index]
    assert str(item["latestPactPublishedAt"]).startswith("20")
    links = item["_links"]
    assert links["pb:latest-pact"]["href"].endswith(  # type: ignore[index]
        f"/pacts/provider/{PROVIDER}/consumer/{CONSUMER}/latest"
    )
