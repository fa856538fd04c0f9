"""Webhook deliveries owed (triggered webhooks): finding due ones and claiming them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from contract_broker.models import TriggeredWebhook

__all__ = ["DELIVERING", "WAITING", "claim", "due_ids", "release_stale_claims"]

DELIVERING = "delivering"
WAITING = ("pending", "retrying")


def due_ids(session: Session, now: datetime, limit: int = 20) -> list[int]:
    """Deliveries whose next attempt is due, oldest first."""
    return list(
        session.scalars(
            select(TriggeredWebhook.id)
            .where(TriggeredWebhook.status.in_(WAITING), TriggeredWebhook.next_attempt_at <= now)
            .order_by(TriggeredWebhook.next_attempt_at, TriggeredWebhook.id)
            .limit(limit)
        )
    )


def claim(session: Session, triggered_id: int) -> bool:
    """Mark a delivery as being delivered; False when another worker took it first."""
    result = session.execute(
        update(TriggeredWebhook)
        .where(TriggeredWebhook.id == triggered_id, TriggeredWebhook.status.in_(WAITING))
        .values(status=DELIVERING)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release_stale_claims(session: Session) -> int:
    """At start: deliveries interrupted by a stop are retried, never lost."""
    result = session.execute(
        update(TriggeredWebhook)
        .where(TriggeredWebhook.status == DELIVERING)
        .values(status="retrying")
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
