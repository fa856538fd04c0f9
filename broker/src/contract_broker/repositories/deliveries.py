"""Webhook deliveries owed (triggered webhooks): finding due ones and claiming them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from contract_broker.models import TriggeredWebhook

__all__ = [
    "DELIVERING",
    "WAITING",
    "claim",
    "due_ids",
    "finish",
    "owns",
    "release_claims",
    "renew_claims",
]

DELIVERING = "delivering"
WAITING = ("pending", "retrying")


def _due(now: datetime) -> ColumnElement[bool]:
    """Waiting and due, or being delivered by a replica whose lease expired (it died)."""
    waiting = and_(TriggeredWebhook.status.in_(WAITING), TriggeredWebhook.next_attempt_at <= now)
    abandoned = and_(
        TriggeredWebhook.status == DELIVERING,
        or_(TriggeredWebhook.claimed_until.is_(None), TriggeredWebhook.claimed_until < now),
    )
    return or_(waiting, abandoned)


def due_ids(session: Session, now: datetime, limit: int = 20) -> list[int]:
    """Deliveries to attempt now, oldest first."""
    return list(
        session.scalars(
            select(TriggeredWebhook.id)
            .where(_due(now))
            .order_by(TriggeredWebhook.next_attempt_at, TriggeredWebhook.id)
            .limit(limit)
        )
    )


def claim(session: Session, triggered_id: int, owner: str, now: datetime, lease: timedelta) -> bool:
    """Take a due delivery for ``owner`` until ``now + lease``; False when someone else has it.

    One conditional UPDATE: of two workers claiming the same row, the database lets one win.
    """
    result = session.execute(
        update(TriggeredWebhook)
        .where(TriggeredWebhook.id == triggered_id, _due(now))
        .values(status=DELIVERING, claimed_by=owner, claimed_until=now + lease)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def renew_claims(
    session: Session, ids: Collection[int], owner: str, now: datetime, lease: timedelta
) -> int:
    """Extend ``owner``'s leases on deliveries it is still sending."""
    if not ids:
        return 0
    result = session.execute(
        update(TriggeredWebhook)
        .where(
            TriggeredWebhook.id.in_(ids),
            TriggeredWebhook.status == DELIVERING,
            TriggeredWebhook.claimed_by == owner,
        )
        .values(claimed_until=now + lease)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def owns(session: Session, triggered: TriggeredWebhook, owner: str) -> bool:
    """True while ``owner`` holds the claim on ``triggered`` (locked until the transaction ends)."""
    claimed_by = session.scalar(
        select(TriggeredWebhook.claimed_by)
        .where(TriggeredWebhook.id == triggered.id, TriggeredWebhook.status == DELIVERING)
        .with_for_update()
    )
    return claimed_by == owner


def finish(triggered: TriggeredWebhook, status: str, next_attempt_at: datetime | None) -> None:
    """The attempt is over: the delivery's next state, and no claim."""
    triggered.status = status
    triggered.next_attempt_at = next_attempt_at
    triggered.claimed_by = None
    triggered.claimed_until = None


def release_claims(session: Session, owner: str, now: datetime) -> int:
    """At a graceful stop: ``owner``'s claims not yet sent are due again, for any replica."""
    result = session.execute(
        update(TriggeredWebhook)
        .where(TriggeredWebhook.status == DELIVERING, TriggeredWebhook.claimed_by == owner)
        .values(status="retrying", next_attempt_at=now, claimed_by=None, claimed_until=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
