"""The verifications the integration views show: a pair's latest, a pact version's most recent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from contract_broker.models import Verification

__all__ = ["latest_verification_for_pair", "verifications_of"]

RECENT = 20
"""How many of a pact version's verifications its page lists."""


def latest_verification_for_pair(
    session: Session, consumer_id: int, provider_id: int
) -> Verification | None:
    """The pair's newest verification, of whichever pact version."""
    return session.scalar(
        select(Verification)
        .where(Verification.consumer_id == consumer_id, Verification.provider_id == provider_id)
        .order_by(Verification.id.desc())
        .limit(1)
    )


def verifications_of(session: Session, pact_version_id: int) -> list[Verification]:
    """The pact version's newest verifications, newest first (at most ``RECENT``)."""
    return list(
        session.scalars(
            select(Verification)
            .where(Verification.pact_version_id == pact_version_id)
            .order_by(Verification.id.desc())
            .limit(RECENT)
        )
    )
