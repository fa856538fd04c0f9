"""Verification results, attached to pact versions (content), by provider versions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contract_broker.models import PactVersion, Verification

__all__ = [
    "any_for_pair",
    "find_verification",
    "latest_for_pact_version",
    "next_number",
    "test_results_of",
    "verifications_of_pact_versions",
]


def next_number(session: Session, pact_version_id: int) -> int:
    """The next free number of a verification of the pact version.

    The pact version's row stays locked until the transaction ends, so concurrent results for
    it are numbered one after the other (SQLite's write transactions already are); the unique
    index on (pact version, number) is the backstop.
    """
    session.execute(
        select(PactVersion.id)
        .where(PactVersion.id == pact_version_id)
        .with_for_update(key_share=True)
    )
    current = session.scalar(
        select(func.max(Verification.number)).where(Verification.pact_version_id == pact_version_id)
    )
    return (current or 0) + 1


def find_verification(session: Session, pact_version_id: int, number: int) -> Verification | None:
    return session.scalar(
        select(Verification).where(
            Verification.pact_version_id == pact_version_id, Verification.number == number
        )
    )


def latest_for_pact_version(session: Session, pact_version_id: int) -> Verification | None:
    return session.scalar(
        select(Verification)
        .where(Verification.pact_version_id == pact_version_id)
        .order_by(Verification.id.desc())
        .limit(1)
    )


def verifications_of_pact_versions(
    session: Session, pact_version_ids: Iterable[int], *, successful_only: bool = False
) -> Sequence[Verification]:
    ids = set(pact_version_ids)
    if not ids:
        return []
    query = select(Verification).where(Verification.pact_version_id.in_(ids))
    if successful_only:
        query = query.where(Verification.success.is_(True))
    return session.scalars(query.order_by(Verification.id)).all()


def any_for_pair(session: Session, consumer_id: int, provider_id: int) -> bool:
    return (
        session.scalar(
            select(Verification.id)
            .where(Verification.consumer_id == consumer_id, Verification.provider_id == provider_id)
            .limit(1)
        )
        is not None
    )


def test_results_of(session: Session, verification_ids: Iterable[int]) -> dict[int, Any]:
    """The ``testResults`` the verifier published with each of these verifications, by id."""
    wanted = sorted(set(verification_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(Verification.id, Verification.test_results).where(Verification.id.in_(wanted))
    )
    return {row.id: row.test_results for row in rows}
