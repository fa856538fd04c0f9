"""Verification results: recorded against the pact content (SHA), by a provider version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from contract_broker.errors import Invalid, NotFound
from contract_broker.models import Verification
from contract_broker.repositories import pacticipants as pacticipant_repo
from contract_broker.repositories import verifications as repo
from contract_broker.services import pacticipants, pacts, webhooks
from contract_broker.services.events import (
    PROVIDER_VERIFICATION_FAILED,
    PROVIDER_VERIFICATION_PUBLISHED,
    PROVIDER_VERIFICATION_SUCCEEDED,
    Event,
)
from contract_broker.services.names import check_name
from contract_broker.services.pacts import PactView
from contract_broker.settings import Settings

__all__ = [
    "VerificationView",
    "find_verification",
    "get_verification",
    "is_url",
    "latest_verification",
    "publish_verification",
    "record_verification",
]

MAX_VERIFICATION_NUMBER = 2**31 - 1


@dataclass(frozen=True)
class VerificationView:
    """A verification result with the pact whose content it verified."""

    verification: Verification
    pact: PactView


def is_url(value: object) -> bool:
    """Whether ``value`` is an absolute URL (a scheme and a host)."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed IPv6 bracket, or a netloc NFKC would change
        return False
    return bool(parts.scheme and parts.netloc)


def _validate(body: dict[str, Any]) -> tuple[bool, str, str | None]:
    errors: dict[str, list[str]] = {}
    success = body.get("success")
    if not isinstance(success, bool):
        errors["success"] = ["is missing or not a boolean (true or false)"]
    number = body.get("providerApplicationVersion")
    try:
        check_name("providerApplicationVersion", number)
    except Invalid as exc:
        errors.update(exc.errors)
    build_url = body.get("buildUrl")
    if build_url is not None and not is_url(build_url):
        errors["buildUrl"] = [f"Invalid URL '{build_url}'. Expected format: http://example.org"]
    for key in ("testResults", "verifiedBy"):
        value = body.get(key)
        if key == "verifiedBy" and value is not None and not isinstance(value, dict):
            errors[key] = ["must be an object"]
        if key == "testResults" and value is not None and not isinstance(value, list | dict):
            errors[key] = ["must be a list or an object"]
    if errors:
        raise Invalid(errors)
    return bool(success), str(number), build_url


def record_verification(
    session: Session,
    settings: Settings,
    pact: PactView,
    body: dict[str, Any],
    *,
    metadata: dict[str, Any],
) -> tuple[Verification, list[Event]]:
    """Store a verification of ``pact``'s content by a provider version (created as needed)."""
    success, number, build_url = _validate(body)
    del settings
    provider_version, _ = pacticipants.get_or_create_version(session, pact.provider, number)
    branches = pacticipant_repo.branches_of_versions(session, [provider_version.id])
    branch_rows = branches[provider_version.id]
    verification = Verification(
        pact_version_id=pact.pact_version.id,
        provider_version_id=provider_version.id,
        consumer_id=pact.consumer.id,
        provider_id=pact.provider.id,
        number=repo.next_number(session, pact.pact_version.id),
        success=success,
        build_url=build_url,
        provider_branch=branch_rows[-1].branch_name if branch_rows else None,
        test_results=body.get("testResults"),
        verified_by=body.get("verifiedBy"),
        wip=bool(metadata.get("wip")),
        pending=metadata.get("pending") if isinstance(metadata.get("pending"), bool) else None,
    )
    session.add(verification)
    session.flush()
    context = {"verification_id": verification.id, "publication_id": pact.publication.id}
    outcome = PROVIDER_VERIFICATION_SUCCEEDED if success else PROVIDER_VERIFICATION_FAILED
    events = [
        Event(name, pact.consumer.id, pact.provider.id, context)
        for name in (PROVIDER_VERIFICATION_PUBLISHED, outcome)
    ]
    return verification, events


def get_verification(session: Session, pact: PactView, number: int) -> Verification:
    # Numbers outside the integer column's range cannot exist (and overflow SQLite's binding).
    verification = None
    if 1 <= number <= MAX_VERIFICATION_NUMBER:
        verification = repo.find_verification(session, pact.pact_version.id, number)
    if verification is None:
        raise NotFound(f"No verification result number {number} for this pact found")
    return verification


def find_verification(
    session: Session, provider_name: str, consumer_name: str, sha: str, number: int
) -> VerificationView:
    """Verification result ``number`` of the pact content with this SHA."""
    pact = pacts.find_pact_by_sha(session, provider_name, consumer_name, sha)
    return VerificationView(get_verification(session, pact, number), pact)


def latest_verification(
    session: Session, provider_name: str, consumer_name: str, sha: str
) -> VerificationView:
    """The newest verification result of the pact content with this SHA."""
    pact = pacts.find_pact_by_sha(session, provider_name, consumer_name, sha)
    verification = repo.latest_for_pact_version(session, pact.pact_version.id)
    if verification is None:
        raise NotFound("This pact has not been verified yet")
    return VerificationView(verification, pact)


def publish_verification(
    session: Session,
    settings: Settings,
    *,
    provider_name: str,
    consumer_name: str,
    sha: str,
    body: dict[str, Any],
    metadata: str | None,
    base_url: str,
) -> VerificationView:
    """Record a verification of the content with this SHA (``metadata``: the URL's segment).

    The webhook deliveries its events call for are queued in the same transaction.
    """
    pact = pacts.find_pact_by_sha(session, provider_name, consumer_name, sha)
    verification, events = record_verification(
        session, settings, pact, body, metadata=pacts.decode_metadata(metadata)
    )
    webhooks.trigger(session, events, base_url=base_url)
    return VerificationView(verification, pact)
