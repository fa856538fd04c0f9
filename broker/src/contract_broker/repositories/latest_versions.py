"""The latest version of many pacticipants in one query (lists must not query per pacticipant)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contract_broker.models import Version

__all__ = ["latest_versions"]


def latest_versions(session: Session, pacticipant_ids: Iterable[int]) -> dict[int, Version]:
    """``{pacticipant id: its newest version}``; pacticipants without versions are absent.

    Newest is the highest id (versions are ordered by creation); on SQLite the group maximum
    is read from the ``pacticipant_id`` index alone.
    """
    wanted = set(pacticipant_ids)
    if not wanted:
        return {}
    heads = (
        select(func.max(Version.id))
        .where(Version.pacticipant_id.in_(wanted))
        .group_by(Version.pacticipant_id)
    )
    rows = session.scalars(select(Version).where(Version.id.in_(heads)))
    return {version.pacticipant_id: version for version in rows}
