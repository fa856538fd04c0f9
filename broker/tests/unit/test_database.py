"""The connection pool: its size (PACT_BROKER_DATABASE_MAX_CONNECTIONS), and connections
checked before use only after they sat idle (PACT_BROKER_DATABASE_CONNECTION_VALIDATION_TIMEOUT)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import QueuePool

from contract_broker.api.admission import WORKER_CONNECTIONS, Admission
from contract_broker.db import Database
from contract_broker.settings import Settings
from tests.support.waves import released_together


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


def _terminate_other_backends(url: str) -> None:
    """What a database restart does to the pool's connections: closes them server-side."""
    killer = Database(url, validate_after_idle=0)
    try:
        with killer.engine.connect() as connection:
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
    finally:
        killer.dispose()


def test_an_idle_connection_closed_by_the_server_is_replaced_before_use(
    request: pytest.FixtureRequest, database_url: str
) -> None:
    if request.config.getoption("--database") != "postgresql":
        pytest.skip("connection validation is for PostgreSQL")
    database = Database(database_url, validate_after_idle=0.2)
    try:
        with database.session(write=False) as session:
            before = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        _terminate_other_backends(database_url)
        time.sleep(0.3)  # idle for longer than validate_after_idle: pinged, found dead
        with database.session(write=False) as session:
            after = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert after != before
    finally:
        database.dispose()


def test_a_connection_in_steady_use_is_not_pinged_and_a_broken_one_is_replaced_after(
    request: pytest.FixtureRequest, database_url: str
) -> None:
    if request.config.getoption("--database") != "postgresql":
        pytest.skip("connection validation is for PostgreSQL")
    database = Database(database_url, validate_after_idle=60)
    try:
        with database.session(write=False) as session:
            session.execute(text("SELECT 2"))
        _terminate_other_backends(database_url)
        # Used a moment ago, so not pinged: the request on it fails (had it been pinged, it
        # would have been replaced and nothing would raise).
        with pytest.raises(OperationalError) as lost, database.session(write=False) as session:
            session.execute(text("SELECT 2"))
        assert lost.value.connection_invalidated  # the broker answers this with 503
        with database.session(write=False) as session:  # the pool has been replaced
            assert session.execute(text("SELECT 2")).scalar_one() == 2
    finally:
        database.dispose()


def test_processes_opening_a_new_sqlite_file_together_all_connect(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Switching a new file to WAL needs it to itself: connections opening it at once (as
    ``--workers N`` do) used to fail with "database is locked" (about 1 round in 30 here)."""
    if request.config.getoption("--database") == "postgresql":
        pytest.skip("SQLite's journal mode")
    for attempt in range(100):
        url = f"sqlite:///{tmp_path / f'new-{attempt}.sqlite'}"
        databases = [Database(url) for _ in range(8)]

        def connect(index: int, databases: list[Database] = databases) -> None:
            with databases[index].engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"

        try:
            released_together(len(databases), connect)
        finally:
            for database in databases:
                database.dispose()


def test_postgresql_connections_never_jit_compile(
    request: pytest.FixtureRequest, database_url: str
) -> None:
    """JIT compiling a plan that looks costly on paper (the pending verdicts of a few hundred
    pacts: 1-2 ms of probes) cost 15 ms: every connection of the pool has it off, also after a
    reconnect and in both kinds of transaction."""
    if request.config.getoption("--database") != "postgresql":
        pytest.skip("JIT is PostgreSQL's")
    database = Database(database_url)
    expected = {"jit": "off"}

    def settings(*, write: bool) -> dict[str, str]:
        with database.session(write=write) as session:
            return {name: session.execute(text(f"SHOW {name}")).scalar_one() for name in expected}

    try:
        assert settings(write=True) == expected
        assert settings(write=False) == expected
        database.engine.dispose()  # a new connection gets them too
        assert settings(write=False) == expected
    finally:
        database.dispose()


def test_a_read_session_opens_without_io_and_reads_one_snapshot(database_url: str) -> None:
    """Opening a read session checks nothing out (the event loop opens it without a worker
    thread); its first statement begins the transaction, and every later statement reads that
    same snapshot, even after another transaction committed a row."""
    database = Database(database_url)
    try:
        with database.session() as session:
            session.execute(text("CREATE TABLE snapshot_probe (n INTEGER)"))
            session.execute(text("INSERT INTO snapshot_probe VALUES (1)"))
        with database.session(write=False) as reading:
            assert database.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
            count = "SELECT count(*) FROM snapshot_probe"
            assert reading.execute(text(count)).scalar_one() == 1
            with database.session() as writing:
                writing.execute(text("INSERT INTO snapshot_probe VALUES (2)"))
            assert reading.execute(text(count)).scalar_one() == 1
        with database.session(write=False) as reading:
            assert reading.execute(text(count)).scalar_one() == 2
    finally:
        database.dispose()
