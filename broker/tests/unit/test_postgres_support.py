"""The throwaway PostgreSQL cluster: migrations apply, and each database is independent."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from contract_broker.db import Database, migrate


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Any:
    """The session's cluster; these tests only run with ``--database=postgresql``."""
    if request.config.getoption("--database") != "postgresql":
        pytest.skip("needs --database=postgresql")
    return request.getfixturevalue("postgres_server")


def test_migrations_apply_to_a_fresh_database(server: Any) -> None:
    url = server.create_database()
    assert make_url(url).get_backend_name() == "postgresql"
    assert make_url(url).drivername == "postgresql+psycopg"

    database = Database(url)
    try:
        migrate(database)
        with database.engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert "alembic_version" in tables
        assert len(tables) > 1
        assert revision

        migrate(database)  # already at head: nothing to do, nothing fails
    finally:
        database.dispose()


def test_each_call_gives_an_independent_database(server: Any) -> None:
    first_url, second_url = server.create_database(), server.create_database()
    assert first_url != second_url

    first, second = Database(first_url), Database(second_url)
    try:
        migrate(first)
        with first.engine.begin() as connection:
            connection.execute(text("CREATE TABLE only_in_first (id integer)"))
        with second.engine.connect() as connection:
            tables = inspect(connection).get_table_names()
            name = connection.execute(text("SELECT current_database()")).scalar()
        assert tables == []
        assert name == make_url(second_url).database
    finally:
        first.dispose()
        second.dispose()
