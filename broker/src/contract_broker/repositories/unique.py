"""Insert-or-get: rows that concurrent requests may create at the same moment.

The database decides the race: ``INSERT … ON CONFLICT (the unique key) DO NOTHING RETURNING``,
then, when nothing was inserted, a read of the row that won. On PostgreSQL (READ COMMITTED) the
insert waits for a concurrent transaction holding the same key and the read sees its committed
row; on SQLite write transactions are serialized (``BEGIN IMMEDIATE``). Nothing raises, so no
transaction is left aborted, and no savepoint is needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session

__all__ = ["insert_new", "insert_or_get"]

Row = TypeVar("Row", bound=DeclarativeBase)


def insert_or_get(
    session: Session,
    model: type[Row],
    values: Mapping[str, Any],
    *,
    key: Sequence[str],
    look_first: bool = True,
) -> tuple[Row, bool]:
    """The row of ``model`` whose ``key`` columns have ``values``' values; True when inserted.

    ``key`` must be the columns of a unique constraint or unique index of ``model``. Other
    values only apply to a new row: an existing row is returned as it is. The row is looked
    for first (the common case, and cheaper than an insert that conflicts), then inserted,
    and if a concurrent request inserted it in between, read again. ``look_first=False`` when
    the caller has just looked and not found it.
    """
    match = select(model).where(*(getattr(model, column) == values[column] for column in key))
    found = session.scalars(match).first() if look_first else None
    if found is not None:
        return found, False
    statement = (
        _insert(session, model).values(**values).on_conflict_do_nothing(index_elements=list(key))
    ).returning(model)
    inserted = session.scalars(statement).first()
    if inserted is not None:
        return inserted, True
    return session.scalars(match).one(), False


def insert_new(session: Session, model: type[Row], values: Mapping[str, Any]) -> Row | None:
    """The new row, or None when one of ``model``'s unique keys already holds these values."""
    statement = _insert(session, model).values(**values).on_conflict_do_nothing().returning(model)
    return session.scalars(statement).first()


def _insert(session: Session, model: type[Row]) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_nothing``."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
