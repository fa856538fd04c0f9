"""Webhook request rendering and redaction."""

from __future__ import annotations

from contract_broker.services.webhook_delivery import build_request
from contract_broker.services.webhooks import REDACTED, redacted_request, render

VARIABLES = {
    "pactUrl": "http://broker/pacts/x y",
    "consumerName": "billing-service",
    "providerVersionNumber": "abc123",
}


def test_render_replaces_variables_in_nested_json() -> None:
    template = {
        "event_type": "contract_requiring_verification_published",
        "client_payload": {
            "pact_url": "${pactbroker.pactUrl}",
            "sha": "${pactbroker.providerVersionNumber}",
            "unknown": "${pactbroker.nothing}",
            "n": 1,
        },
    }
    assert render(template, VARIABLES) == {
        "event_type": "contract_requiring_verification_published",
        "client_payload": {
            "pact_url": "http://broker/pacts/x y",
            "sha": "abc123",
            "unknown": "",
            "n": 1,
        },
    }


def test_url_values_are_escaped_and_basic_auth_becomes_a_header() -> None:
    request = build_request(
        {
            "method": "post",
            "url": "https://ci/run?pact=${pactbroker.pactUrl}",
            "headers": {"X-Consumer": "${pactbroker.consumerName}"},
            "body": "plain",
            "username": "u",
            "password": "p",
        },
        VARIABLES,
    )
    assert request.method == "POST"
    assert request.url == "https://ci/run?pact=http%3A%2F%2Fbroker%2Fpacts%2Fx%20y"
    assert request.headers == {"X-Consumer": "billing-service", "Authorization": "Basic dTpw"}
    assert request.body == b"plain"


def test_secrets_are_redacted() -> None:
    shown = redacted_request(
        {
            "method": "POST",
            "url": "https://x",
            "password": "hunter2",
            "username": "u",
            "body": None,
            "headers": {
                "Authorization": "Bearer t",
                "X-Api-Token": "s",
                "Content-Type": "application/json",
            },
        }
    )
    assert shown["password"] == REDACTED
    assert shown["headers"] == {
        "Authorization": REDACTED,
        "X-Api-Token": REDACTED,
        "Content-Type": "application/json",
    }
    assert "hunter2" not in repr(shown)
