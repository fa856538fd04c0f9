"""Transactions: concurrent first publications all succeed; responses follow commits."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import event
from sqlalchemy.orm import Session

from contract_broker.models import Environment
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


def test_the_response_is_sent_after_the_commit(broker: LiveBroker) -> None:
    """A write whose commit fails is not answered 201 (the commit precedes the response)."""

    def mark_doomed(session: Session, _context: object, _instances: object) -> None:
        if any(isinstance(o, Environment) and o.name == "doomed" for o in session.new):
            session.info["doomed"] = True

    def fail_doomed(session: Session) -> None:
        if session.info.pop("doomed", False):
            raise RuntimeError("the database refused the commit")

    event.listen(Session, "before_flush", mark_doomed)
    event.listen(Session, "before_commit", fail_doomed)
    try:
        response = httpx.post(
            f"{broker.url}/environments", json={"name": "doomed", "production": False}
        )
    finally:
        event.remove(Session, "before_flush", mark_doomed)
        event.remove(Session, "before_commit", fail_doomed)

    assert response.status_code == 500
    listed = httpx.get(f"{broker.url}/environments").json()["_embedded"]["environments"]
    assert listed == []
