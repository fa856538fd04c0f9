"""The broker as separate processes: killed mid-write, and two replicas on one database.

- ``kill -9`` during a publish storm: every publish acknowledged before the kill is readable
  with its exact content after a restart, and no version is left without its pacts.
- A rolling restart of two replicas while slow webhook deliveries are in flight: each event
  is delivered exactly once.
- A replica killed while delivering, or an attempt whose outcome cannot be recorded: the
  delivery is retried after the lease (at least once; never lost).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from contract_broker.db import Database
from contract_broker.models import PactPublication, Verification, Version
from tests.support import http_client as http
from tests.support.pacts import changed, renamed, sample_pact
from tests.support.process import BrokerProcess
from tests.support.receiver import Receiver, eventually, register_webhook
from tests.support.server import LiveBroker
from tests.support.waves import as_published, publish, stored_pact

BODY = {"version": "${pactbroker.consumerVersionNumber}"}
"""What the webhook sends: enough to count each event once."""
WEBHOOKS = {
    "webhook_worker_enabled": "true",
    "webhook_scheme_whitelist": "http",
    "webhook_host_whitelist": "127.0.0.1",
    "webhook_poll_seconds": "0.1",
}


@pytest.fixture
def brokers(database_url: str, tmp_path: Path) -> Iterator[Callable[..., BrokerProcess]]:
    """Start broker processes on the test's database; all are stopped after the test."""
    started: list[BrokerProcess] = []

    def start(**settings: str) -> BrokerProcess:
        log = tmp_path / f"broker-{len(started)}.log"
        broker = BrokerProcess(database_url, log, **settings).start()
        started.append(broker)
        return broker

    yield start
    for broker in started:
        broker.stop()


def test_kill_9_during_a_publish_storm_loses_nothing_acknowledged(
    brokers: Callable[..., BrokerProcess], database_url: str
) -> None:
    broker = brokers()
    acknowledged: dict[tuple[str, str], dict[str, Any]] = {}
    stop = threading.Event()

    def client(k: int) -> None:
        consumer = f"storm-{k}"
        for i in range(10_000):
            if stop.is_set():
                return
            pact = changed(renamed(sample_pact(), consumer=consumer), f"{k}.{i}")
            try:
                response = publish(broker.url, pact, f"1.{i}", branch="main", tags=["storm"])
            except httpx.HTTPError:
                return  # the server died mid-request: not acknowledged
            if response.status_code == 200:
                acknowledged[(consumer, f"1.{i}")] = pact

    threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(2.5)
    broker.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=30)

    restarted = brokers()
    assert len(acknowledged) >= 16, "the storm published too little to prove anything"
    for (consumer, version), pact in acknowledged.items():
        stored = stored_pact(restarted.url, consumer, "user-service", version)
        assert stored.status_code == 200, (consumer, version)
        assert as_published(stored.json()) == pact
    database = Database(database_url)
    try:
        with database.engine.connect() as connection:
            orphans = connection.scalars(
                select(Version.number)
                .outerjoin(PactPublication, PactPublication.consumer_version_id == Version.id)
                .where(PactPublication.id.is_(None))
            ).all()
    finally:
        database.dispose()
    assert orphans == []


def _delivered(receiver: Receiver) -> Counter[str]:
    return Counter(json.loads(r["body"])["version"] for r in list(receiver.received))


def _statuses(broker: BrokerProcess | LiveBroker) -> Counter[str]:
    webhooks = http.get(f"{broker.url}/webhooks").json()["_links"]["pb:webhooks"]
    counts: Counter[str] = Counter()
    for webhook in webhooks:
        triggered = http.get(f"{webhook['href']}/triggered-webhooks").json()
        counts.update(t["status"] for t in triggered["_embedded"]["triggeredWebhooks"])
    return counts


EVENTS = 24


def test_a_rolling_restart_of_two_replicas_delivers_each_event_once(
    brokers: Callable[..., BrokerProcess],
) -> None:
    with Receiver(delay=1.5) as receiver:
        a, b = brokers(**WEBHOOKS), brokers(**WEBHOOKS)
        register_webhook(a.url, receiver, BODY)
        for i in range(EVENTS):
            via = a if i % 2 else b
            assert publish(via.url, sample_pact(), f"1.0.{i}").status_code == 200
        eventually(lambda: len(receiver.received) >= 2, 15, "the first deliveries")

        # The rolling restart, while deliveries are in flight: one replica at a time.
        assert a.terminate()
        a = brokers(**WEBHOOKS)
        assert b.terminate()
        b = brokers(**WEBHOOKS)

        eventually(lambda: len(_delivered(receiver)) == EVENTS, 60, "every event")
        eventually(lambda: _statuses(a) == {"success": EVENTS}, 30, "every delivery recorded")
        time.sleep(1)  # a duplicate would arrive now, if any replica re-sent one

    delivered = _delivered(receiver)
    assert sorted(delivered) == sorted(f"1.0.{i}" for i in range(EVENTS))
    assert [v for v, n in delivered.items() if n > 1] == []


def test_a_killed_replicas_deliveries_are_retried_after_its_lease(
    brokers: Callable[..., BrokerProcess],
) -> None:
    lease = {**WEBHOOKS, "webhook_claim_lease_seconds": "2"}
    with Receiver(delay=1.0) as receiver:
        a = brokers(**lease)
        register_webhook(a.url, receiver, BODY)
        for i in range(4):
            assert publish(a.url, sample_pact(), f"2.0.{i}").status_code == 200
        eventually(lambda: len(receiver.received) >= 1, 15, "a delivery in flight")
        a.kill()  # mid-delivery: its claims stay until their lease expires
        b = brokers(**lease)

        eventually(lambda: _statuses(b) == {"success": 4}, 60, "every delivery recorded")

    assert sorted(_delivered(receiver)) == [f"2.0.{i}" for i in range(4)]


def test_a_delivery_whose_attempt_cannot_be_recorded_is_retried_after_the_lease(
    make_broker: Callable[..., LiveBroker],
) -> None:
    """The database refuses the first attempt's log: the claim expires and it is sent again."""
    refused = threading.Event()

    def refuse_once(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "INSERT INTO webhook_executions" in statement and not refused.is_set():
            refused.set()
            raise RuntimeError("the database went away")

    settings = {k: v for k, v in WEBHOOKS.items() if k != "webhook_worker_enabled"}
    with Receiver() as receiver:
        broker = make_broker(**settings, webhook_worker_enabled=True, webhook_claim_lease_seconds=1)
        event.listen(Engine, "before_cursor_execute", refuse_once)
        try:
            register_webhook(broker.url, receiver, BODY)
            assert publish(broker.url, sample_pact(), "3.0.0").status_code == 200
            eventually(lambda: _statuses(broker) == {"success": 1}, 30, "the delivery recorded")
        finally:
            event.remove(Engine, "before_cursor_execute", refuse_once)

    assert refused.is_set()
    assert list(_delivered(receiver).elements()) == ["3.0.0", "3.0.0"]


CONTRACT = (
    Path(__file__).parents[1] / "data" / "provider_contracts" / "documents" / "renamed-field.yaml"
)


def test_kill_9_while_contracts_and_pacts_are_published_loses_no_comparison(
    brokers: Callable[..., BrokerProcess], database_url: str
) -> None:
    """Provider contracts and pacts published together, then ``kill -9``: after a restart
    every acknowledged contract reads back with its content, and each pair an acknowledged
    publish reported comparing has exactly one comparison (the comparison is committed with
    its publish, or neither is)."""
    broker = brokers()
    content = base64.b64encode(CONTRACT.read_bytes()).decode()
    contracts: dict[str, int] = {}  # acknowledged version: comparisons its answer reported
    pacts: list[str] = []
    stop = threading.Event()

    def publish_contracts() -> None:
        for i in range(10_000):
            if stop.is_set():
                return
            body = {
                "pacticipantVersionNumber": f"2.{i}",
                "branch": "main",
                "contract": {
                    "content": content,
                    "contentType": "application/yaml",
                    "specification": "oas",
                    "selfVerificationResults": {"success": True, "verifier": "pytest"},
                },
            }
            url = f"{broker.url}/provider-contracts/provider/user-service/publish"
            try:
                response = http.post(url, json=body)
            except httpx.HTTPError:
                return
            if response.status_code == 200:
                notices = [n["text"] for n in response.json()["notices"]]
                contracts[f"2.{i}"] = sum(t.startswith("Not compatible with") for t in notices)

    def publish_pacts(k: int) -> None:
        for i in range(10_000):
            if stop.is_set():
                return
            pact = changed(sample_pact(), f"{k}.{i}")
            try:
                response = publish(broker.url, pact, f"1.{k}.{i}", branch="main")
            except httpx.HTTPError:
                return
            if response.status_code == 200:
                pacts.append(f"1.{k}.{i}")

    threads = [threading.Thread(target=publish_contracts)]
    threads += [threading.Thread(target=publish_pacts, args=(k,)) for k in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(2.5)
    broker.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=30)

    restarted = brokers()
    assert len(contracts) >= 2, "too few contracts were published to prove anything"
    assert len(pacts) >= 4, "too few pacts were published to prove anything"
    assert sum(contracts.values()) >= 1, "no contract publish compared anything"
    for number, reported in contracts.items():
        stored = http.get(
            f"{restarted.url}/provider-contracts/provider/user-service/version/{number}"
        )
        assert stored.status_code == 200, number
        assert stored.json()["content"] == CONTRACT.read_text()
        # What the answer reported compared is there (later pacts may have added more).
        assert len(stored.json()["comparisons"]) >= reported, number
    database = Database(database_url)
    try:
        with database.engine.connect() as connection:
            pairs = connection.execute(
                select(Verification.pact_version_id, Verification.provider_version_id).where(
                    Verification.provider_contract_id.is_not(None)
                )
            ).all()
    finally:
        database.dispose()
    assert pairs, "no comparison was made"
    assert len(pairs) == len(set(pairs))  # each pair compared once
