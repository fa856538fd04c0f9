"""Insert a row that may be inserted concurrently by another request: keep whichever won."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

__all__ = ["insert_unique"]

Row = TypeVar("Row")


def insert_unique(session: Session, row: Row, find: Callable[[], Row | None]) -> tuple[Row, bool]:
    """Add ``row``; if a unique constraint says it already exists, return the existing one.

    True when ``row`` was inserted. Two first publications of a new pacticipant at the same
    moment must both succeed, not give one of them a 500.
    """
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = find()
        if existing is None:
            raise
        return existing, False
    return row, True
