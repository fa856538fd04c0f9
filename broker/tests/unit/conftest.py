"""Unit-test fixtures: a migrated database and one transaction on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from contract_broker.db import Database, migrate


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    """A write transaction on a freshly migrated database (committed when the test passes)."""
    database = Database(database_url)
    migrate(database)
    try:
        with database.session() as session:
            yield session
    finally:
        database.dispose()
