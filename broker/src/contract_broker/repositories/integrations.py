"""The verifications the integration views show: a pair's latest, a pact version's most recent;
and every pair with its latest pact and latest verification, in one statement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from contract_broker.models import Pacticipant, PactPublication, PactVersion, Verification, Version

__all__ = [
    "LatestOfPair",
    "latest_of_every_pair",
    "latest_verification_for_pair",
    "newest_verification_of_pair",
    "verifications_of",
]


class LatestOfPair(NamedTuple):
    """A consumer/provider pair with a pact: its latest pact and its latest verification."""

    consumer: str
    provider: str
    consumer_version: str
    published_at: datetime
    pact_version_id: int
    #: The pair's newest verification (of whichever pact content); None: never verified.
    verification_id: int | None
    success: bool | None
    verified_pact_version_id: int | None
    verified_at: datetime | None
    provider_version: str | None


def newest_verification_of_pair(consumer_id: Any, provider_id: Any) -> Any:
    """The id of the pair's newest verification, of whichever pact content (a scalar subquery
    correlated to the two columns given). Through the pair's pact versions (indexed by consumer
    and provider): verifications have no index on their pair."""
    verified = aliased(Verification)
    verified_pact = aliased(PactVersion)
    return (
        select(func.max(verified.id))
        .join(verified_pact, verified_pact.id == verified.pact_version_id)
        .where(verified_pact.consumer_id == consumer_id, verified_pact.provider_id == provider_id)
        .scalar_subquery()
    )


def latest_of_every_pair(session: Session) -> Sequence[LatestOfPair]:
    """Every pair's latest pact (its newest consumer version's) and newest verification, by
    consumer then provider name: one statement whatever the number of pairs, and no pact
    content read."""
    pairs = (
        select(
            PactPublication.consumer_id,
            PactPublication.provider_id,
            func.max(PactPublication.consumer_version_id).label("consumer_version_id"),
        )
        .group_by(PactPublication.consumer_id, PactPublication.provider_id)
        .subquery()
    )
    newest_verification = newest_verification_of_pair(pairs.c.consumer_id, pairs.c.provider_id)
    consumer, provider = aliased(Pacticipant), aliased(Pacticipant)
    consumer_version, provider_version = aliased(Version), aliased(Version)
    rows = session.execute(
        select(
            consumer.name,
            provider.name,
            consumer_version.number,
            PactPublication.created_at,
            PactPublication.pact_version_id,
            Verification.id,
            Verification.success,
            Verification.pact_version_id,
            Verification.created_at,
            provider_version.number,
        )
        .select_from(pairs)
        .join(consumer, consumer.id == pairs.c.consumer_id)
        .join(provider, provider.id == pairs.c.provider_id)
        .join(
            PactPublication,
            (PactPublication.consumer_version_id == pairs.c.consumer_version_id)
            & (PactPublication.provider_id == pairs.c.provider_id),
        )
        .join(consumer_version, consumer_version.id == PactPublication.consumer_version_id)
        .outerjoin(Verification, Verification.id == newest_verification)
        .outerjoin(provider_version, provider_version.id == Verification.provider_version_id)
        .order_by(func.lower(consumer.name), func.lower(provider.name))
    ).all()
    return [LatestOfPair._make(row) for row in rows]


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
