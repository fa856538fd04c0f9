"""A read request's transaction ends just after its response is sent, with its admission turn.

Requests that only read have nothing to commit, so the answer does not wait for the database's
``COMMIT``; the transaction and the turn to hold one end once the response is out, whatever
the route answered. If a turn were lost, a broker with 3 turns would hang at the 4th request.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text

from contract_broker.db import Database
from tests.support import http_client as http
from tests.support.pacts import sample_pact
from tests.support.receiver import eventually
from tests.support.server import LiveBroker
from tests.support.waves import WAVE, publish, released_together, stored_pact, verification_url

HAL = {"Accept": "application/hal+json"}
SMALLEST_POOL = "8"
"""PACT_BROKER_DATABASE_MAX_CONNECTIONS at its minimum: 3 turns for requests."""


def test_reads_that_answer_200_404_or_400_all_give_their_turn_back(
    make_broker: Callable[..., LiveBroker],
) -> None:
    broker = make_broker(database_max_connections=SMALLEST_POOL)
    assert publish(broker.url, sample_pact(), "1.0.0").status_code == 200
    for i in range(10):  # ten times the turns there are, each kind of answer
        assert (
            stored_pact(broker.url, "billing-service", "user-service", "1.0.0").status_code == 200
        )
        assert http.get(f"{broker.url}/pacticipants/nobody-{i}").status_code == 404
        assert http.get(f"{broker.url}/matrix?q[][pacticipant]=nobody").status_code == 400
    # And writes still get theirs.
    assert publish(broker.url, sample_pact(), "1.0.1").status_code == 200


def test_no_read_transaction_stays_open_after_its_answer(
    request: pytest.FixtureRequest, make_broker: Callable[..., LiveBroker], database_url: str
) -> None:
    if request.config.getoption("--database") != "postgresql":
        pytest.skip("PostgreSQL shows open transactions in pg_stat_activity")
    broker = make_broker()
    assert publish(broker.url, sample_pact(), "1.0.0").status_code == 200
    for _ in range(5):
        assert (
            stored_pact(broker.url, "billing-service", "user-service", "1.0.0").status_code == 200
        )
    observer = Database(database_url)

    def open_transactions() -> int:
        with observer.engine.connect() as connection:
            return int(
                connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
                    )
                )
                or 0
            )

    try:
        eventually(lambda: open_transactions() == 0, 5, "the read transactions to end")
    finally:
        observer.dispose()


def test_sixteen_reads_released_together_on_the_smallest_pool_all_answer_the_same(
    make_broker: Callable[..., LiveBroker],
) -> None:
    """Read sessions open without a worker thread and check out a connection only on their
    first statement, inside their turn: 16 pipeline questions, integration lists and index
    pages at once on 3 turns all answer 200, and the same answer each time (on PostgreSQL the
    questions also plan their rows once per connection)."""
    broker = make_broker(database_max_connections=SMALLEST_POOL)
    assert publish(broker.url, sample_pact(), "1.0.0").status_code == 200
    url = verification_url(broker.url, "billing-service", "user-service", "1.0.0")
    result = {"success": True, "providerApplicationVersion": "2.0.0"}
    assert http.post(url, json=result).status_code == 201
    question = (
        f"{broker.url}/matrix?q[][pacticipant]=billing-service&q[][version]=1.0.0&latestby=cvpv"
    )
    reads = (
        lambda: http.get(question, headers=HAL),
        lambda: http.get(f"{broker.url}/integrations", headers=HAL),
        lambda: http.get(f"{broker.url}/", headers={"Accept": "text/html"}),
    )
    for _ in range(2):  # the second round on connections that have seen the statements
        responses = released_together(WAVE, lambda i: reads[i % len(reads)]())
        assert [r.status_code for r in responses] == [200] * WAVE
        answers = [r.json()["summary"] for i, r in enumerate(responses) if i % len(reads) == 0]
        assert all(a == answers[0] for a in answers), answers
        assert answers[0]["deployable"] is True
        statuses = [
            r.json()["_embedded"]["integrations"][0]["verificationStatus"]
            for i, r in enumerate(responses)
            if i % len(reads) == 1
        ]
        assert set(statuses) == {"verified"}
