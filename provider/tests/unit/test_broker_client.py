"""The harness's broker client: credentials only ever go to the broker's own origin."""

from __future__ import annotations

import pytest

from user_service_contract.broker import BrokerClient, BrokerError


def test_links_are_rebased_on_the_brokers_origin() -> None:
    client = BrokerClient("https://broker.example.com")

    rebased = client._rebase("http://elsewhere.example:9/pacts/provider/p/latest?x=1#frag")

    assert rebased == "https://broker.example.com/pacts/provider/p/latest?x=1"


def test_a_pact_url_is_its_own_origin() -> None:
    client = BrokerClient.for_url("https://broker.example.com:8443/pacts/provider/p/x?y=1")

    assert client.base_url == "https://broker.example.com:8443"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://broker.example.com", "broker"])
def test_only_http_brokers(url: str) -> None:
    with pytest.raises(BrokerError, match="must be http"):
        BrokerClient(url)
