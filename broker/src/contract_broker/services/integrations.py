"""Integrations: every consumer/provider pair with its latest pact, latest verification, status."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from contract_broker.models import Verification
from contract_broker.repositories import integrations as integrations_repo
from contract_broker.repositories.integrations import LatestOfPair

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
    """A consumer/provider pair with a pact: its latest pact, newest verification and status."""

    latest: LatestOfPair
    status: str

    @property
    def consumer(self) -> str:
        return self.latest.consumer

    @property
    def provider(self) -> str:
        return self.latest.provider

    @property
    def verified(self) -> bool:
        return self.latest.verification_id is not None


def pact_status(pact_version_id: int, verification: Verification | None) -> str:
    """Verified, failed, changed or unknown for the latest pact and latest verification."""
    if verification is None:
        return PactStatus.UNKNOWN
    return _status(pact_version_id, verification.success, verification.pact_version_id)


def _status(pact_version_id: int, success: bool, verified_pact_version_id: int) -> str:
    if not success:
        return PactStatus.FAILED
    if verified_pact_version_id == pact_version_id:
        return PactStatus.VERIFIED
    return PactStatus.CHANGED


def integrations(session: Session) -> list[Integration]:
    """Every consumer/provider pair with its latest pact, latest verification and status (one
    statement, whatever the number of pairs)."""
    return [
        Integration(latest, _status_of(latest))
        for latest in integrations_repo.latest_of_every_pair(session)
    ]


def _status_of(latest: LatestOfPair) -> str:
    if latest.verification_id is None:
        return PactStatus.UNKNOWN
    return _status(
        latest.pact_version_id, bool(latest.success), int(latest.verified_pact_version_id or 0)
    )
