"""Which provider versions must verify a newly published pact.

``contract_requiring_verification_published`` fires once per provider version that is the head
of the provider's main branch, or currently deployed or released, and has not yet verified this
content.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from contract_broker.models import Pacticipant, PactPublication, Verification
from contract_broker.repositories import environments as environment_repo
from contract_broker.repositories import pacticipants as pacticipant_repo
from contract_broker.services.events import CONTRACT_REQUIRING_VERIFICATION_PUBLISHED, Event

__all__ = ["events_for", "provider_versions_to_verify"]


def provider_versions_to_verify(session: Session, publication: PactPublication) -> dict[int, str]:
    """``{provider version id: why}`` for versions that should verify this publication."""
    provider = session.get(Pacticipant, publication.provider_id)
    assert provider is not None
    wanted: dict[int, str] = {}
    if provider.main_branch:
        head = pacticipant_repo.latest_version_for_branch(
            session, provider.id, provider.main_branch
        )
        if head is not None:
            wanted[head.id] = f"latest from main branch {provider.main_branch}"
    for deployed in environment_repo.currently_deployed(session, pacticipant_ids=[provider.id]):
        wanted.setdefault(deployed.version_id, f"deployed to {deployed.environment.name}")
    for released in environment_repo.currently_released(session, pacticipant_ids=[provider.id]):
        wanted.setdefault(released.version_id, f"released in {released.environment.name}")
    if wanted:
        verified = set(
            session.scalars(
                select(Verification.provider_version_id).where(
                    Verification.pact_version_id == publication.pact_version_id,
                    Verification.provider_version_id.in_(wanted),
                    # A provider contract comparison is no replay: the webhook still asks one.
                    Verification.provider_contract_id.is_(None),
                )
            )
        )
        for version_id in verified:
            wanted.pop(version_id, None)
    return wanted


def events_for(session: Session, event: Event) -> list[Event]:
    """The requiring-verification events a publication event implies."""
    publication = session.get(PactPublication, event.context["publication_id"])
    if publication is None:
        return []
    return [
        Event(
            CONTRACT_REQUIRING_VERIFICATION_PUBLISHED,
            event.consumer_id,
            event.provider_id,
            {
                "publication_id": publication.id,
                "provider_version_id": version_id,
                "description": why,
            },
        )
        for version_id, why in provider_versions_to_verify(session, publication).items()
    ]
