"""What a selector picks, and how the statements that pick are scoped and run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam
from sqlalchemy.orm import Session

from contract_broker.repositories._tables import PUBLICATIONS, ids, run

__all__ = [
    "COLUMNS",
    "DEPLOYED_KIND",
    "LABEL",
    "RELEASED_KIND",
    "Selected",
    "as_selected",
    "run_scoped",
    "scope",
]

DEPLOYED_KIND = "deployed"
RELEASED_KIND = "released"


@dataclass(frozen=True)
class Selected:
    """A publication a selector picked.

    ``branch``/``tag``: the branch or tag it is the head of; ``environment``: where its
    version is ``deployment`` (``DEPLOYED_KIND`` or ``RELEASED_KIND``).
    """

    publication_id: int
    consumer_id: int
    consumer_version_id: int
    pact_version_id: int
    created_at: datetime
    branch: str | None = None
    tag: str | None = None
    environment: str | None = None
    deployment: str | None = None


COLUMNS = (
    PUBLICATIONS.c.id,
    PUBLICATIONS.c.consumer_id,
    PUBLICATIONS.c.consumer_version_id,
    PUBLICATIONS.c.pact_version_id,
    PUBLICATIONS.c.created_at,
)
LABEL = len(COLUMNS)  # the index of the extra column: branch, tag or environment


def as_selected(row: Any, **found: str | None) -> Selected:
    """A row of ``COLUMNS`` (and extra columns after them), with what the extra ones say."""
    return Selected(row[0], row[1], row[2], row[3], row[4], **found)


def scope(query: Select[Any], scoped: bool) -> Select[Any]:
    """Publications for the provider ``:provider`` (by the consumers ``:consumers`` if scoped)."""
    query = query.where(PUBLICATIONS.c.provider_id == bindparam("provider"))
    if scoped:
        query = query.where(PUBLICATIONS.c.consumer_id.in_(ids("consumers")))
    return query


def run_scoped(
    session: Session,
    statement: Any,
    provider_id: int,
    consumer_ids: Iterable[int] | None,
    **params: Any,
) -> list[Any]:
    if consumer_ids is not None:
        params["consumers"] = list(set(consumer_ids))
    return list(run(session, statement, provider=provider_id, **params))
