"""Alembic environment: runs on the connection the broker hands in (or the configured URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from contract_broker.models import Base
from contract_broker.settings import get_settings

target_metadata = Base.metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        engine = create_engine(get_settings().database_url)
        with engine.begin() as connection:
            _migrate(connection)
    else:
        _migrate(connection)


def _migrate(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
