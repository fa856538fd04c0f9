"""Integrations: every consumer/provider pair with its latest pact, latest verification, status."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from contract_broker.models import Verification
from contract_broker.repositories import pacts as pact_repo
from contract_broker.repositories.integrations import latest_verification_for_pair
from contract_broker.services.pacts import PactView, view_of

__all__ = [
    "Integration",
    "PactStatus",
    "integrations",
    "pact_status",
]


class PactStatus:
    """The pact badge's states, with the Pact Broker's meanings."""

    VERIFIED = "verified"  # latest pact content verified successfully
    FAILED = "failed"  # the latest verification failed
    CHANGED = "changed"  # verified before, but the latest content is not verified yet
    UNKNOWN = "unknown"  # never verified


@dataclass(frozen=True)
class Integration:
    pact: PactView
    verification: Verification | None
    status: str


def pact_status(pact_version_id: int, verification: Verification | None) -> str:
    """Verified, failed, changed or unknown for the latest pact and latest verification."""
    if verification is None:
        return PactStatus.UNKNOWN
    if not verification.success:
        return PactStatus.FAILED
    if verification.pact_version_id == pact_version_id:
        return PactStatus.VERIFIED
    return PactStatus.CHANGED


def integrations(session: Session) -> list[Integration]:
    """Every consumer/provider pair with its latest pact, latest verification and status."""
    result = []
    for publication in pact_repo.latest_publications_per_integration(session):
        verification = latest_verification_for_pair(
            session, publication.consumer_id, publication.provider_id
        )
        result.append(
            Integration(
                view_of(session, publication),
                verification,
                pact_status(publication.pact_version_id, verification),
            )
        )
    return result
