"""Concurrent creations of one resource: waves of 16 PUTs or PATCHes of a new name released
together. The database decides which request creates it: exactly one says 201, the others
replace or update what it created (200), and none gets a 5xx.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.support import http_client as http
from tests.support.server import LiveBroker
from tests.support.waves import WAVE, released_together


def no_server_errors(responses: list[http.Response]) -> None:
    errors = [(r.status_code, r.text) for r in responses if r.status_code >= 500]
    assert errors == []


def webhook_definition(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "events": [{"name": "contract_content_changed"}],
        "request": {"method": "POST", "url": "https://ci.example/hooks"},
    }


def test_concurrent_puts_of_one_new_webhook_create_it_once(broker: LiveBroker) -> None:
    uuid = "wave-webhook-0000-0001"
    url = f"{broker.url}/webhooks/{uuid}"

    responses = released_together(
        WAVE, lambda i: http.put(url, json=webhook_definition(f"put {i}"))
    )

    no_server_errors(responses)
    assert Counter(r.status_code for r in responses) == {201: 1, 200: WAVE - 1}
    listed = http.get(f"{broker.url}/webhooks").json()["_embedded"]["webhooks"]
    assert [w["uuid"] for w in listed] == [uuid]
    assert listed[0]["description"] in {f"put {i}" for i in range(WAVE)}


def test_concurrent_patches_of_one_new_pacticipant_say_created_once(broker: LiveBroker) -> None:
    url = f"{broker.url}/pacticipants/patched-once"

    responses = released_together(WAVE, lambda i: http.patch(url, json={"displayName": f"P {i}"}))

    no_server_errors(responses)
    assert Counter(r.status_code for r in responses) == {201: 1, 200: WAVE - 1}
    names = [p["name"] for p in http.get(f"{broker.url}/pacticipants").json()["pacticipants"]]
    assert names == ["patched-once"]
