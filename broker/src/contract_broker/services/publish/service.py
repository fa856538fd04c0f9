"""Both publishes: ``publish_contracts`` (``/contracts/publish``) and ``publish_pact`` (legacy).

Each publish queues the webhook deliveries its events call for in the same transaction as the
pacts (``webhooks.trigger``): they are committed, or rolled back, together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from contract_broker.errors import Conflict, Invalid
from contract_broker.models import Pacticipant, Tag, Version
from contract_broker.repositories import pacticipants as pacticipant_repo
from contract_broker.repositories import pacts as repo
from contract_broker.repositories import provider_contracts as contract_repo
from contract_broker.services import pacticipants, webhooks
from contract_broker.services.events import Event
from contract_broker.services.pacts import PactDetail, detail_of, view_of
from contract_broker.services.provider_contracts.recording import Compared, compare_new_pacts
from contract_broker.services.publish.notices import (
    comparison_notices,
    conflict_notices,
    conflict_text,
    stored_notices,
)
from contract_broker.services.publish.request import PublishRequest
from contract_broker.services.publish.storage import ContentChanged, StoredPact, store
from contract_broker.settings import Settings

__all__ = ["PublishResult", "PublishedPact", "publish_contracts", "publish_pact"]


@dataclass(frozen=True)
class PublishedPact:
    """The legacy publish's answer: what it did, the pact as served, and webhook notices."""

    outcome: str  # created | unchanged | modified | merged
    detail: PactDetail
    notices: list[dict[str, str]]


@dataclass
class PublishResult:
    pacticipant: Pacticipant
    version: Version
    version_created: bool
    tags: list[Tag]
    pacts: list[StoredPact]
    notices: list[dict[str, str]]

    @property
    def events(self) -> list[Event]:
        return [event for pact in self.pacts for event in pact.events]


def publish_contracts(
    session: Session,
    settings: Settings,
    request: PublishRequest,
    *,
    pact_url: Callable[[str], str],
    base_url: str,
) -> PublishResult:
    """Store the version, branch, tags and pacts; 409 (nothing stored) on changed content.

    ``pact_url(provider_name)`` gives the URL of this version's pact, shown in the notices;
    the webhook deliveries the events call for are queued (``base_url``: the broker's URL).
    Every row is inserted or found by its unique key, and a conflict is decided against the
    publication that is actually stored (by this request or by one that won a race); a
    conflict raises, so the request's transaction leaves nothing behind.
    """
    names = {request.pacticipant_name, *(c.provider_name for c in request.contracts)}
    # Each provider's shared contract lock, taken in this first statement: see
    # repositories/provider_contracts (a contract published meanwhile is then seen, or waits).
    known = pacticipant_repo.find_pacticipants(
        session, names, lock=lambda column: contract_repo.contract_lock(session, column)
    )
    # New pacticipants in name order: two publishes creating the same ones in another order
    # could otherwise each wait for the other's row (a deadlock on PostgreSQL).
    created = sorted(names - known.keys())
    for name in created:
        field = "pacticipantName" if name == request.pacticipant_name else "providerName"
        known[name] = pacticipants.get_or_create_pacticipant(session, name, field=field)
    # The first statement could not lock what did not exist yet (one statement more, only for
    # pacticipants new to this request).
    contract_repo.lock_providers(session, [known[name].id for name in created])
    pacticipant = known[request.pacticipant_name]
    version, version_created = pacticipants.get_or_create_version(
        session, pacticipant, request.version_number, build_url=request.build_url
    )
    # A version this request created has no pacts yet: nobody else can see it.
    existing = {} if version_created else repo.stored_pacts_of_version(session, version.id)
    conflicts: list[dict[str, str]] = []
    # Stored in provider-name order, so two publishes lock their rows in one order (no
    # deadlock on PostgreSQL); reported in the order the request gave.
    by_provider: dict[str, StoredPact] = {}
    for contract in sorted(request.contracts, key=lambda c: c.provider_name):
        provider = known[contract.provider_name]
        try:
            by_provider[contract.provider_name] = store(
                session,
                version,
                provider,
                contract.content,
                merge=contract.merge,
                may_change=settings.allow_dangerous_contract_modification,
                existing=existing.get(provider.id),
            )
        except ContentChanged as changed:
            conflicts += conflict_notices(request, contract, changed.stored)
    if conflicts:
        raise Conflict(
            "pact content modification is not allowed",
            notices=conflicts,
            errors={"contracts": [n["text"] for n in conflicts if n["type"] == "error"]},
        )
    if request.branch:
        pacticipants.add_branch(session, settings, version, request.branch)
    # Tags in name order too: a tag named like an environment locks it (a deployment).
    added = {
        t: pacticipants.add_tag(session, settings, version, t)[0] for t in sorted(request.tags)
    }
    tags = [added[t] for t in request.tags]
    stored = [by_provider[c.provider_name] for c in request.contracts]
    notices = stored_notices(request, stored, version_created=version_created, pact_url=pact_url)
    notices += comparison_notices(_compare(session, stored, request.pacticipant_name))
    result = PublishResult(pacticipant, version, version_created, tags, stored, notices)
    result.notices += webhooks.trigger(session, result.events, base_url=base_url)
    return result


def publish_pact(
    session: Session,
    settings: Settings,
    *,
    provider_name: str,
    consumer_name: str,
    version_number: str,
    content: dict[str, Any],
    merge: bool = False,
    base_url: str,
) -> PublishedPact:
    """The legacy ``PUT`` (and ``PATCH`` = merge) of a pact at its consumer-version URL."""
    errors: dict[str, list[str]] = {}
    for side, name in (("consumer", consumer_name), ("provider", provider_name)):
        in_pact = content[side]["name"]
        if in_pact != name:
            errors[side] = [
                f"name in pact ('{in_pact}') does not match {side} name in path ('{name}')."
            ]
    if errors:
        raise Invalid(errors)
    # In name order, as publish_contracts does (no lock-order deadlock between two requests).
    found = {
        n: pacticipants.get_or_create_pacticipant(session, n)
        for n in sorted({consumer_name, provider_name})
    }
    consumer, provider = found[consumer_name], found[provider_name]
    contract_repo.lock_providers(session, [provider.id])
    version, created = pacticipants.get_or_create_version(session, consumer, version_number)
    existing = (
        None if created else repo.stored_pacts_of_version(session, version.id).get(provider.id)
    )
    try:
        stored = store(
            session,
            version,
            provider,
            content,
            merge=merge,
            may_change=merge or settings.allow_dangerous_contract_modification,
            existing=existing,
        )
    except ContentChanged:
        raise Conflict(conflict_text(consumer_name, version_number, provider_name)) from None
    _compare(session, [stored], consumer_name)
    notices = webhooks.trigger(session, stored.events, base_url=base_url)
    detail = detail_of(session, view_of(session, stored.publication))
    return PublishedPact(stored.outcome, detail, notices)


def _compare(session: Session, stored: list[StoredPact], consumer_name: str) -> list[Compared]:
    """Compare the stored pacts with their providers' contracts (bi-directional testing)."""
    published = [(p.publication.pact_version_id, p.provider.id) for p in stored]
    return compare_new_pacts(session, published, consumer_name)
