"""Concurrent first publications of the same new pacticipants all succeed (no 500)."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx

from tests.support.server import LiveBroker


def test_simultaneous_first_publications(broker: LiveBroker, pact_file: Path) -> None:
    pact = json.loads(pact_file.read_text())

    def publish(index: int) -> int:
        consumer = f"consumer-{index % 4}"
        content = {**pact, "consumer": {"name": consumer}, "provider": {"name": "new-provider"}}
        response = httpx.post(
            f"{broker.url}/contracts/publish",
            timeout=30,
            json={
                "pacticipantName": consumer,
                "pacticipantVersionNumber": f"1.0.{index}",
                "branch": "main",
                "tags": ["prod"],
                "contracts": [
                    {
                        "consumerName": consumer,
                        "providerName": "new-provider",
                        "specification": "pact",
                        "contentType": "application/json",
                        "content": base64.b64encode(json.dumps(content).encode()).decode(),
                    }
                ],
            },
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(publish, range(16)))

    assert statuses == [200] * 16
    names = [p["name"] for p in httpx.get(f"{broker.url}/pacticipants").json()["pacticipants"]]
    assert sorted(names) == ["consumer-0", "consumer-1", "consumer-2", "consumer-3", "new-provider"]
