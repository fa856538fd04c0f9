"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from contract_broker.db import Database, migrate
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
