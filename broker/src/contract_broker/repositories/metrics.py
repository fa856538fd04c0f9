"""Row counts of the broker's tables, for the metrics."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contract_broker.models import Base

__all__ = ["count_rows"]


def count_rows(session: Session, model: type[Base]) -> int:
    """How many rows ``model``'s table holds."""
    return session.scalar(select(func.count()).select_from(model)) or 0
