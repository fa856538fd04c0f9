"""Reads only the integration matrix page and the pacticipant page need: branch heads and pairs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from contract_broker.models import Branch, Pacticipant, PactPublication, Version

__all__ = ["BranchHead", "Pair", "branch_count", "newest_branch_heads", "pairs_of"]


@dataclass(frozen=True)
class BranchHead:
    """A branch and its newest version."""

    branch: str
    version: Version


@dataclass(frozen=True)
class Pair:
    """A consumer/provider pair with at least one pact."""

    consumer_id: int
    consumer_name: str
    provider_id: int
    provider_name: str
    #: The content of the pair's latest pact (newest consumer version, newest revision).
    latest_pact_version_id: int


def newest_branch_heads(session: Session, pacticipant_id: int, limit: int) -> list[BranchHead]:
    """The branches whose head is newest first, at most ``limit``, each with its head."""
    rows = session.execute(
        select(Branch.name, Version)
        .join(Version, Version.id == Branch.head_version_id)
        .where(Branch.pacticipant_id == pacticipant_id)
        .order_by(Branch.head_version_id.desc(), Branch.id.desc())
        .limit(limit)
    ).all()
    return [BranchHead(name, version) for name, version in rows]


def branch_count(session: Session, pacticipant_id: int) -> int:
    found = session.scalar(
        select(func.count()).select_from(Branch).where(Branch.pacticipant_id == pacticipant_id)
    )
    return int(found or 0)


def pairs_of(session: Session, pacticipant_id: int, limit: int) -> Sequence[Pair]:
    """The pairs the pacticipant is the consumer or the provider of, by names, at most ``limit``."""
    consumer = aliased(Pacticipant)
    provider = aliased(Pacticipant)
    newest = aliased(PactPublication)
    pairs = (
        select(
            PactPublication.consumer_id,
            PactPublication.provider_id,
            func.max(PactPublication.consumer_version_id).label("consumer_version_id"),
        )
        .where(
            or_(
                PactPublication.consumer_id == pacticipant_id,
                PactPublication.provider_id == pacticipant_id,
            )
        )
        .group_by(PactPublication.consumer_id, PactPublication.provider_id)
        .subquery()
    )
    latest_publication = (
        select(func.max(newest.id))
        .where(
            newest.consumer_version_id == pairs.c.consumer_version_id,
            newest.provider_id == pairs.c.provider_id,
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            consumer.id, consumer.name, provider.id, provider.name, PactPublication.pact_version_id
        )
        .select_from(pairs)
        .join(consumer, consumer.id == pairs.c.consumer_id)
        .join(provider, provider.id == pairs.c.provider_id)
        .join(PactPublication, PactPublication.id == latest_publication)
        .order_by(func.lower(consumer.name), func.lower(provider.name))
        .limit(limit)
    ).all()
    return [Pair(*row) for row in rows]
