"""Read models for people: integrations with their latest pact and verification, pact details."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contract_broker.models import (
    DeployedVersion,
    Environment,
    Pacticipant,
    PactPublication,
    PactVersion,
    ReleasedVersion,
    TriggeredWebhook,
    Verification,
    Version,
    Webhook,
)
from contract_broker.repositories import pacts as pact_repo
from contract_broker.services.pacts import PactView, find_pact, view_of

__all__ = [
    "Integration",
    "PactStatus",
    "counts",
    "diff",
    "diff_previous_distinct",
    "diff_versions",
    "diff_with_previous",
    "integrations",
    "latest_verification_for_pair",
    "pact_status",
    "verifications_of",
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


def latest_verification_for_pair(
    session: Session, consumer_id: int, provider_id: int
) -> Verification | None:
    return session.scalar(
        select(Verification)
        .where(Verification.consumer_id == consumer_id, Verification.provider_id == provider_id)
        .order_by(Verification.id.desc())
        .limit(1)
    )


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


def _pretty(pact: dict[str, Any]) -> list[str]:
    shown = {k: v for k, v in pact.items() if k not in {"metadata", "createdAt", "_links"}}
    return json.dumps(
        _without_ids(shown), indent=2, sort_keys=True, ensure_ascii=False
    ).splitlines()


def _without_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k != "_id"}
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


def diff_with_previous(session: Session, view: PactView) -> tuple[PactView | None, list[str]]:
    """The previous distinct pact of this pair and a unified diff from it (oldest first)."""
    previous = pact_repo.previous_distinct_publication(session, view.publication)
    if previous is None:
        return None, []
    before = view_of(session, previous)
    return before, diff(before, view)


def diff_previous_distinct(
    session: Session, provider_name: str, consumer_name: str, version: str
) -> list[str] | None:
    """The diff of a version's pact from the previous distinct one; None if it is the first."""
    previous, lines = diff_with_previous(
        session, find_pact(session, provider_name, consumer_name, version=version)
    )
    return None if previous is None else lines


def diff_versions(
    session: Session, provider_name: str, consumer_name: str, version: str, other: str
) -> list[str]:
    """The diff from ``other``'s pact to ``version``'s."""
    after = find_pact(session, provider_name, consumer_name, version=version)
    before = find_pact(session, provider_name, consumer_name, version=other)
    return diff(before, after)


def diff(before: PactView, after: PactView) -> list[str]:
    """A unified diff of two pacts' content (interactions, not metadata)."""
    return list(
        difflib.unified_diff(
            _pretty(before.content),
            _pretty(after.content),
            fromfile=f"version {before.consumer_version.number}",
            tofile=f"version {after.consumer_version.number}",
            lineterm="",
            n=3,
        )
    )


def verifications_of(session: Session, pact_version_id: int) -> list[Verification]:
    return list(
        session.scalars(
            select(Verification)
            .where(Verification.pact_version_id == pact_version_id)
            .order_by(Verification.id.desc())
            .limit(20)
        )
    )


def counts(session: Session) -> dict[str, Any]:
    """How many of each thing the broker holds."""
    tables = {
        "pacticipants": Pacticipant,
        "pacticipantVersions": Version,
        "pactVersions": PactVersion,
        "pactPublications": PactPublication,
        "verificationResults": Verification,
        "environments": Environment,
        "deployedVersions": DeployedVersion,
        "releasedVersions": ReleasedVersion,
        "webhooks": Webhook,
        "triggeredWebhooks": TriggeredWebhook,
    }
    return {
        name: {"count": session.scalar(select(func.count()).select_from(model)) or 0}
        for name, model in tables.items()
    }
