"""Query pieces several statements share: which deployments are current, which branch is meant.

Each piece renders the same SQL wherever it is used; the statements around them keep their own
shapes (tuned per statement for the PostgreSQL and SQLite plans).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, false, func, or_, select

from contract_broker.repositories._tables import (
    BRANCHES,
    DEPLOYED,
    PACTICIPANTS,
    PUBLICATIONS,
    RELEASED,
)

__all__ = ["STILL_DEPLOYED", "STILL_SUPPORTED", "either", "has_pact", "on_branch_or_main"]

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


def has_pact(consumer: Any, provider: Any) -> ColumnElement[bool]:
    """``consumer`` has published a pact for ``provider`` (two aliases of the pacticipants).

    One probe of the (provider, consumer, version) index per pair rather than a scan of the
    provider's publications: max() of the index's last column is read from its end by both
    SQLite and PostgreSQL.
    """
    return (
        select(func.max(PUBLICATIONS.c.consumer_version_id))
        .where(
            PUBLICATIONS.c.provider_id == provider.c.id,
            PUBLICATIONS.c.consumer_id == consumer.c.id,
        )
        .scalar_subquery()
        .is_not(None)
    )
