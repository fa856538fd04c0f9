"""A freshly started broker process (its request-specific imports deferred, contract_broker.
warm_up) answers 16 requests released together as its very first ones, each needing one of the
deferred modules: provider-contract validation, comparison with pacts, Jinja pages, badges."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import http_client as http
from tests.support.pacts import PROVIDER, publish_body, renamed, sample_pact
from tests.support.process import BrokerProcess
from tests.support.waves import released_together

DOCUMENT = (
    Path(__file__).parents[1] / "data" / "provider_contracts" / "documents" / "compatible.json"
)


@pytest.fixture
def fresh(database_url: str, tmp_path: Path) -> Iterator[BrokerProcess]:
    broker = BrokerProcess(database_url, tmp_path / "broker.log").start()
    yield broker
    broker.stop()


def test_sixteen_first_requests_that_each_need_a_deferred_module_all_succeed(
    fresh: BrokerProcess,
) -> None:
    content = base64.b64encode(DOCUMENT.read_bytes()).decode()

    def first(index: int) -> http.Response:
        kind = index % 4
        if kind == 0:  # openapi-spec-validator, jsonschema
            return http.post(
                f"{fresh.url}/provider-contracts/provider/{PROVIDER}/publish",
                json={
                    "pacticipantVersionNumber": f"p{index}",
                    "contract": {
                        "content": content,
                        "contentType": "application/json",
                        "specification": "oas",
                        "selfVerificationResults": {"success": True, "verifier": "pytest"},
                    },
                },
            )
        if kind == 1:  # a pact, compared with any contract there (RE2, the rules)
            pact = renamed(sample_pact(), consumer=f"consumer-{index}")
            body = publish_body(pact, f"c{index}")
            return http.post(f"{fresh.url}/contracts/publish", json=body)
        if kind == 2:  # Jinja
            return http.get(f"{fresh.url}/", headers={"Accept": "text/html"})
        badge = f"/pacts/provider/{PROVIDER}/consumer/consumer-{index}/latest/badge"
        return http.get(fresh.url + badge)  # anybadge

    responses = released_together(16, first)

    assert [r.status_code for r in responses if r.status_code >= 500] == []
    for index, response in enumerate(responses):
        assert response.status_code in {200, 201}, (index, response.status_code, response.text)
    # Every publish is there, and the log has no traceback.
    for index in range(0, 16, 4):
        contract = f"{fresh.url}/provider-contracts/provider/{PROVIDER}/version/p{index}"
        assert http.get(contract).status_code == 200
    assert "Traceback" not in fresh.log.read_text()
