"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text

from contract_broker.db import MIGRATIONS, Database, migrate
from contract_broker.models import Base


def test_migrations_match_the_models(database_url: str) -> None:
    database = Database(database_url)
    try:
        migrate(database)
        with database.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        database.dispose()
    assert differences == []


def test_migrating_twice_changes_nothing(database_url: str) -> None:
    database = Database(database_url)
    try:
        migrate(database)
        migrate(database)
    finally:
        database.dispose()


def test_duplicate_verification_numbers_are_renumbered_before_the_unique_index(
    database_url: str,
) -> None:
    """Results numbered twice by concurrent requests before 0004 keep the oldest as is."""
    database = Database(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    now = datetime.now(UTC)
    try:
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0003")
            for table, row in (
                ("pacticipants", {"id": 1, "name": "c", "updated_at": now}),
                ("pacticipants", {"id": 2, "name": "p", "updated_at": now}),
                ("versions", {"id": 1, "pacticipant_id": 1, "number": "1", "updated_at": now}),
                ("versions", {"id": 2, "pacticipant_id": 2, "number": "9", "updated_at": now}),
                (
                    "pact_versions",
                    {"id": 1, "consumer_id": 1, "provider_id": 2, "sha": "s", "content": "{}"},
                ),
            ):
                _insert(connection, table, {**row, "created_at": now})
            for verification_id, number in ((1, 1), (2, 2), (3, 2), (4, 2), (5, 3)):
                _insert(
                    connection,
                    "verifications",
                    {
                        "id": verification_id,
                        "pact_version_id": 1,
                        "provider_version_id": 2,
                        "consumer_id": 1,
                        "provider_id": 2,
                        "number": number,
                        "success": True,
                        "wip": False,
                        "execution_date": now,
                        "created_at": now,
                    },
                )
        migrate(database)
        with database.engine.connect() as connection:
            numbers = connection.execute(
                text("SELECT id, number FROM verifications ORDER BY id")
            ).all()
    finally:
        database.dispose()
    assert [tuple(row) for row in numbers] == [(1, 1), (2, 2), (3, 4), (4, 5), (5, 3)]


def _insert(connection: Connection, table: str, row: dict[str, Any]) -> None:
    columns = ", ".join(row)
    values = ", ".join(f":{c}" for c in row)
    connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({values})"), row)
