"""Several broker replicas on one database, as a team runs them behind a load balancer.

- Replicas started together migrate the schema once (the others wait, then serve).
- Publishes spread round-robin over them, 16 at a time: nothing lost or duplicated, each
  webhook event delivered once, and every replica gives the same can-i-deploy answer.
- SIGTERM of a replica under load: every request it accepted is answered, it exits within
  its bound, and the deliveries it had not sent are sent by the other.
- A replica started with ``--workers 2`` serves from both processes on one port.
- The dependencies check answers 503 while the database is down, 200 once it is back.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import func, select

from contract_broker.db import Database
from contract_broker.models import PactPublication, Version
from tests.support import http_client as http
from tests.support.pacts import changed, renamed, sample_pact
from tests.support.process import BrokerProcess
from tests.support.receiver import Receiver, eventually, register_webhook
from tests.support.waves import WAVE, as_published, publish, released_together, stored_pact

BODY = {"consumer": "${pactbroker.consumerName}", "version": "${pactbroker.consumerVersionNumber}"}
"""What the webhook sends: enough to count each event once."""
WEBHOOKS = {
    "webhook_worker_enabled": "true",
    "webhook_scheme_whitelist": "http",
    "webhook_host_whitelist": "127.0.0.1",
    "webhook_poll_seconds": "0.1",
}
MIGRATED = "database schema migrated from revision"
CURRENT = "database schema is current"
SHUTDOWN_BOUND = 30.0
"""Seconds a replica may take to stop after SIGTERM: requests in flight (shutdown_timeout
5 s here), then the deliveries being sent (each within webhook_timeout_seconds, 5 s here)."""


@pytest.fixture
def replicas(database_url: str, tmp_path: Path) -> Iterator[Callable[..., list[BrokerProcess]]]:
    """``replicas(n, **settings)``: n broker processes on the test's database, spawned at once."""
    started: list[BrokerProcess] = []

    def start(count: int, *, workers: int = 1, **settings: str) -> list[BrokerProcess]:
        batch = [
            BrokerProcess(
                database_url,
                tmp_path / f"replica-{len(started) + i}.log",
                workers=workers,
                log_level="info",
                **settings,
            )
            for i in range(count)
        ]
        started.extend(batch)
        for replica in batch:
            replica.spawn()
        return [replica.wait_until_ready(timeout=60) for replica in batch]

    yield start
    for replica in started:
        replica.stop()


def _delivered(receiver: Receiver) -> Counter[tuple[str, str]]:
    bodies = [json.loads(r["body"]) for r in list(receiver.received)]
    return Counter((b["consumer"], b["version"]) for b in bodies)


def _database_counts(database_url: str) -> tuple[int, int]:
    """(versions, publications) as the database holds them."""
    database = Database(database_url)
    try:
        with database.engine.connect() as connection:
            versions = connection.scalar(select(func.count()).select_from(Version))
            publications = connection.scalar(select(func.count()).select_from(PactPublication))
    finally:
        database.dispose()
    return int(versions or 0), int(publications or 0)


def _without_origin(body: Any, origin: str) -> Any:
    """``body`` with the replica's own base URL (in every link) replaced by a placeholder."""
    return json.loads(json.dumps(body).replace(origin, "BROKER"))


@pytest.mark.parametrize("count", [2, 3])
def test_replicas_started_together_migrate_once_and_agree(
    replicas: Callable[..., list[BrokerProcess]], database_url: str, count: int
) -> None:
    started = replicas(count, **WEBHOOKS)

    logs = [replica.log.read_text() for replica in started]
    assert sum(log.count(MIGRATED) for log in logs) == 1, logs
    assert sum(log.count(CURRENT) for log in logs) == count - 1, logs

    consumers = [f"replica-consumer-{k}" for k in range(4)]
    published = {
        (consumer, f"1.{i}"): changed(renamed(sample_pact(), consumer=consumer), f"{k}.{i}")
        for k, consumer in enumerate(consumers)
        for i in range(12)
    }
    keys = sorted(published)
    with Receiver() as receiver:
        register_webhook(started[0].url, receiver, BODY)
        for first in range(0, len(keys), WAVE):
            wave = keys[first : first + WAVE]

            def send(i: int, wave: list[tuple[str, str]] = wave, first: int = first) -> int:
                consumer, version = wave[i]
                via = started[(first + i) % count]  # round-robin, as a load balancer spreads
                return publish(via.url, published[consumer, version], version).status_code

            assert released_together(len(wave), send) == [200] * len(wave)

        # Each event once, whichever replica stored it and whichever delivered it.
        eventually(lambda: len(_delivered(receiver)) == len(keys), 60, "every event")
        time.sleep(1)  # a duplicate would arrive now, if any replica sent one twice
        assert _delivered(receiver) == Counter(keys)

    assert _database_counts(database_url) == (len(keys), len(keys))
    for index, (consumer, version) in enumerate(keys):
        replica = started[index % count]
        stored = stored_pact(replica.url, consumer, "user-service", version)
        assert stored.status_code == 200, (consumer, version)
        assert as_published(stored.json()) == published[consumer, version]

    # A result for one version, then the same question to every replica.
    consumer, version = keys[-1]
    pact = stored_pact(started[-1].url, consumer, "user-service", version).json()
    result = {"success": False, "providerApplicationVersion": "9.9.9", "testResults": []}
    href = pact["_links"]["pb:publish-verification-results"]["href"]
    assert http.post(href, json=result).status_code == 201
    answers = []
    for replica in started:
        response = http.get(
            f"{replica.url}/matrix",
            params=[("q[][pacticipant]", consumer), ("q[][version]", version), ("latestby", "cvp")],
        )
        assert response.status_code == 200, response.text
        answers.append(_without_origin(response.json(), replica.url))
    assert answers[0]["summary"]["deployable"] is False
    assert all(answer == answers[0] for answer in answers[1:])


def test_sigterm_of_a_replica_under_load_fails_no_accepted_request(
    replicas: Callable[..., list[BrokerProcess]],
) -> None:
    settings = {**WEBHOOKS, "shutdown_timeout_seconds": "5", "webhook_timeout_seconds": "5"}
    a, b = replicas(2, **settings)
    stop = threading.Event()
    answered: list[tuple[str, str, int]] = []
    unanswered: list[tuple[str, str]] = []

    def client(k: int) -> None:
        consumer = f"load-{k}"
        for i in range(10_000):
            if stop.wait(0.1):  # steady load, and events few enough to deliver in seconds
                return
            target = a if i % 2 == 0 else b
            pact = changed(renamed(sample_pact(), consumer=consumer), f"{k}.{i}")
            try:
                # A new connection per request: a refused connection was never accepted.
                response = publish(target.url, pact, f"1.{i}")
            except httpx.ConnectError:
                continue  # the stopped replica no longer accepts: the balancer's next try
            except httpx.HTTPError:
                # Closed without an answer: allowed only for a request the replica never
                # read (connected a moment before it stopped), checked below.
                unanswered.append((consumer, f"1.{i}"))
                continue
            answered.append((consumer, f"1.{i}", response.status_code))

    with Receiver(delay=0.2) as receiver:
        register_webhook(a.url, receiver, BODY)
        threads = [threading.Thread(target=client, args=(k,)) for k in range(6)]
        for thread in threads:
            thread.start()
        time.sleep(2)
        began = time.monotonic()
        assert a.terminate(timeout=SHUTDOWN_BOUND), "the replica did not stop cleanly"
        stopped_in = time.monotonic() - began
        time.sleep(0.5)  # b alone, for a moment
        stop.set()
        for thread in threads:
            thread.join(timeout=30)

        assert [r for r in answered if r[2] != 200] == []
        assert len(unanswered) <= 2, unanswered
        for consumer, version in unanswered:  # never read, so never stored: safe to retry
            assert stored_pact(b.url, consumer, "user-service", version).status_code == 404
        acknowledged = Counter((consumer, version) for consumer, version, _ in answered)
        assert len(acknowledged) >= 20, "too little load to prove anything"
        # What a accepted or had claimed is delivered by b, each once.
        eventually(lambda: len(_delivered(receiver)) >= len(acknowledged), 90, "every event")
        time.sleep(1)
        assert _delivered(receiver) == acknowledged
    assert stopped_in < SHUTDOWN_BOUND


@pytest.mark.parametrize("workers", [1, 2])
def test_a_stopping_replica_refuses_new_connections_and_answers_those_in_flight(
    replicas: Callable[..., list[BrokerProcess]], workers: int
) -> None:
    """After SIGTERM new connections are refused while the request in flight is still being
    answered (a balancer tries another replica at once), not accepted and left waiting until
    the replica exits and resets them; the request in flight is answered."""
    (broker,) = replicas(1, workers=workers, **WEBHOOKS)
    with Receiver(delay=6) as receiver:
        register_webhook(broker.url, receiver, BODY)
        webhooks = http.get(f"{broker.url}/webhooks").json()["_links"]["pb:webhooks"]
        execute = f"{webhooks[0]['href']}/execute"
        in_flight: dict[str, int] = {}
        sender = threading.Thread(
            target=lambda: in_flight.setdefault("status", http.post(execute).status_code)
        )
        sender.start()
        eventually(lambda: len(receiver.received) == 1, 15, "the webhook call in flight")
        broker.signal_terminate()
        deadline = time.monotonic() + 5
        closed_unanswered = 0
        while True:
            try:
                http.get(f"{broker.url}/diagnostic/status/heartbeat")
            except httpx.ConnectError:
                break  # refused: it stopped listening
            except httpx.TransportError:
                # Accepted in the moment a worker was closing: harmless for a GET, and rare.
                closed_unanswered += 1
            assert time.monotonic() < deadline, "still accepting connections 5 s after SIGTERM"
            time.sleep(0.05)
        assert in_flight == {}, "refused only once the request in flight was answered"
        assert closed_unanswered <= 2
        sender.join(timeout=30)
    assert in_flight == {"status": 200}
    assert broker.wait(timeout=SHUTDOWN_BOUND)


def test_a_replica_with_two_workers_serves_from_both(
    replicas: Callable[..., list[BrokerProcess]],
) -> None:
    (broker,) = replicas(1, workers=2)

    def started() -> set[str]:
        return set(
            re.findall(
                r"\[(\d+)\] INFO uvicorn.error Application startup complete", broker.log.read_text()
            )
        )

    # The heartbeat answered once one worker was up; the other may still be starting.
    eventually(lambda: len(started()) == 2, 30, "both workers to start")

    def send(i: int) -> int:
        pact = renamed(sample_pact(), consumer=f"worker-consumer-{i}")
        return publish(broker.url, pact, f"1.0.{waves}").status_code

    def answered_by() -> set[str]:
        return set(
            re.findall(r"\[(\d+)\] INFO contract_broker.access POST", broker.log.read_text())
        )

    # The kernel hands each connection to whichever worker accepts first: on a busy machine
    # one may take a whole wave, so waves go on (a few at most) until both have answered.
    waves = 0
    while answered_by() != started() and waves < 10:
        assert released_together(WAVE, send) == [200] * WAVE
        waves += 1
    assert answered_by() == started()
    listed = http.get(f"{broker.url}/pacticipants").json()["_embedded"]["pacticipants"]
    names = {p["name"] for p in listed}
    assert {f"worker-consumer-{i}" for i in range(WAVE)} <= names
    assert broker.terminate(timeout=SHUTDOWN_BOUND)


def test_the_dependencies_check_follows_the_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if request.config.getoption("--database") != "postgresql":
        pytest.skip("stopping and restarting the database server needs PostgreSQL")
    from tests.support.postgres import ThrowawayPostgres

    with ThrowawayPostgres() as server:
        broker = BrokerProcess(server.create_database(), tmp_path / "broker.log").start()
        try:
            url = f"{broker.url}/diagnostic/status/dependencies"
            up = http.get(url)
            assert up.status_code == 200
            assert up.json() == {"database": {"ok": True}, "_links": {"self": {"href": url}}}

            server.pause()
            down = http.get(url)
            assert down.status_code == 503
            assert down.json()["database"]["ok"] is False
            assert "OperationalError" in down.json()["database"]["error"]["message"]
            heartbeat = http.get(f"{broker.url}/diagnostic/status/heartbeat")
            assert heartbeat.status_code == 200  # liveness does not depend on the database

            server.resume()
            assert http.get(url).status_code == 200
            # And the broker serves again without a restart. Its pooled connection was closed
            # by the restart and was in use a moment before, so it was not checked: the first
            # request on it is refused with 503 and Retry-After, and the pool is replaced.
            first = publish(broker.url, sample_pact(), "1.0.0")
            if first.status_code == 503:
                assert first.headers["Retry-After"] == "1"
                assert "connection to the database was lost" in first.json()["error"]
                first = publish(broker.url, sample_pact(), "1.0.0")
            assert first.status_code == 200
            assert publish(broker.url, sample_pact(), "1.0.1").status_code == 200
        finally:
            broker.stop()
