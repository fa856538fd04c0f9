"""The connection pool's size comes from PACT_BROKER_DATABASE_MAX_CONNECTIONS."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy.pool import QueuePool

from contract_broker.api.admission import WORKER_CONNECTIONS, Admission
from contract_broker.db import Database
from contract_broker.settings import Settings


@pytest.mark.parametrize(("maximum", "kept", "overflow"), [(20, 10, 10), (9, 4, 5)])
def test_the_pool_opens_at_most_the_configured_connections(
    database_url: str, maximum: int, kept: int, overflow: int
) -> None:
    database = Database(database_url, max_connections=maximum)
    try:
        pool = database.engine.pool
        assert isinstance(pool, QueuePool)
        assert (pool.size(), pool._max_overflow) == (kept, overflow)
        assert database.connections == maximum
        admission = Admission.for_database(database)
        assert admission._transactions._value == maximum - WORKER_CONNECTIONS
    finally:
        database.dispose()


def test_too_few_connections_for_the_worker_and_requests_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PACT_BROKER_DATABASE_MAX_CONNECTIONS", "5")
    with pytest.raises(ValidationError, match="database_max_connections"):
        Settings()
    monkeypatch.setenv("PACT_BROKER_DATABASE_MAX_CONNECTIONS", "30")
    assert Settings().database_max_connections == 30
