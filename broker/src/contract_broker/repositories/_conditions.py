"""Query pieces several statements share: which deployments are current, which branch is meant.

Each piece renders the same SQL wherever it is used; the statements around them keep their own
shapes (tuned per statement for the PostgreSQL and SQLite plans).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, false, or_

from contract_broker.repositories._tables import BRANCHES, DEPLOYED, PACTICIPANTS, RELEASED

__all__ = ["STILL_DEPLOYED", "STILL_SUPPORTED", "either", "on_branch_or_main"]

STILL_DEPLOYED: ColumnElement[bool] = DEPLOYED.c.undeployed_at.is_(None)
"""A deployment that is current: its version is still deployed to the environment."""
STILL_SUPPORTED: ColumnElement[bool] = RELEASED.c.support_ended_at.is_(None)
"""A release that is current: its version is still supported in the environment."""


def on_branch_or_main(query: Select[Any], *, main: bool) -> Select[Any]:
    """``query`` (over the branches) kept to each pacticipant's main branch when ``main``,
    otherwise to the branches named ``:branch``."""
    if main:
        return query.join(
            PACTICIPANTS,
            and_(
                PACTICIPANTS.c.id == BRANCHES.c.pacticipant_id,
                PACTICIPANTS.c.main_branch == BRANCHES.c.name,
            ),
        )
    return query.where(BRANCHES.c.name == bindparam("branch"))


def either(*conditions: ColumnElement[bool] | None) -> ColumnElement[bool]:
    """OR of the conditions given; an empty list parameter is left out of the statement
    altogether, as ``IN ()`` inside an OR keeps SQLite from using the index of the other side."""
    present = [c for c in conditions if c is not None]
    return or_(*present) if present else false()
