"""The webhook worker's claims: never one it is still sending, never more than it can send."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from contract_broker.db import Database, migrate
from contract_broker.models import TriggeredWebhook, utcnow
from contract_broker.repositories.deliveries import DELIVERING
from contract_broker.services.webhook_worker import SENDERS, WebhookWorker
from contract_broker.settings import Settings


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    migrate(database)
    yield database
    database.dispose()


def _worker(database: Database) -> WebhookWorker:
    settings = Settings(_env_file=None, database_url=database.url, webhook_claim_lease_seconds=1)
    return WebhookWorker(database, settings)


def _add(database: Database, count: int, **values: object) -> list[int]:
    with database.session() as session:
        rows = [
            TriggeredWebhook(
                uuid=f"t-{i}-{values.get('status', 'pending')}",
                webhook_uuid="w",
                event_name="contract_published",
                context={},
                **{"status": "pending", "next_attempt_at": utcnow(), **values},
            )
            for i in range(count)
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def test_an_expired_claim_still_being_sent_here_is_not_claimed_again(database: Database) -> None:
    """A stalled poll finds its own lease expired: that delivery is in flight, not abandoned."""
    worker = _worker(database)
    expired = utcnow() - timedelta(seconds=5)
    [sending] = _add(database, 1, status=DELIVERING, claimed_by=worker.owner, claimed_until=expired)
    worker._held.add(sending)

    assert worker._claim_due() == []

    with database.session(write=False) as session:
        row = session.get(TriggeredWebhook, sending)
        assert row is not None
        assert (row.claimed_by, row.status) == (worker.owner, DELIVERING)


def test_a_worker_claims_no_more_than_it_can_send(database: Database) -> None:
    worker = _worker(database)
    _add(database, SENDERS + 3)

    claimed = worker._claim_due()

    assert len(claimed) == SENDERS
    assert worker._claim_due() == []  # every sender is busy


def test_an_abandoned_claim_of_a_dead_replica_is_taken_over(database: Database) -> None:
    worker = _worker(database)
    [abandoned] = _add(
        database,
        1,
        status=DELIVERING,
        claimed_by="dead-replica",
        claimed_until=utcnow() - timedelta(seconds=5),
    )

    assert worker._claim_due() == [abandoned]
