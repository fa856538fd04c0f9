"""Storing one consumer version's pact with a provider: created, unchanged, changed or merged.

Content is immutable per consumer version and provider: different content for an existing
publication raises ``ContentChanged`` unless the caller may change it. Rows are inserted or
found by their unique keys, so racing requests end with one row each.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from contract_broker.errors import Conflict
from contract_broker.models import Pacticipant, PactPublication, PactVersion, Version
from contract_broker.repositories import pacts as repo
from contract_broker.repositories.unique import insert_or_get
from contract_broker.services.content import (
    canonical_json,
    interactions_of,
    pact_sha,
    with_interaction_ids,
)
from contract_broker.services.events import (
    CONTRACT_CONTENT_CHANGED,
    CONTRACT_PUBLISHED,
    Event,
)

__all__ = ["ContentChanged", "StoredPact", "store"]


@dataclass
class StoredPact:
    """One stored pact and what publishing it did."""

    publication: PactPublication
    provider: Pacticipant
    outcome: str  # created | unchanged | modified | merged
    events: list[Event] = field(default_factory=list)


class ContentChanged(Exception):
    """The version already has a pact with this provider, with other content."""

    def __init__(self, stored: PactVersion) -> None:
        super().__init__("pact content modification is not allowed")
        self.stored = stored


def store(
    session: Session,
    version: Version,
    provider: Pacticipant,
    content: dict[str, Any],
    *,
    merge: bool,
    may_change: bool,
    existing: tuple[PactPublication, PactVersion] | None,
) -> StoredPact:
    """Store ``content`` as ``version``'s pact with ``provider``.

    ``existing`` is what this version had published for the provider when the request read
    it. The publication is inserted or found by its unique key (version, provider), so two
    requests racing to publish it end with one row; the loser compares its content with the
    winner's. Raises ``ContentChanged`` for different content unless ``may_change``.
    """
    consumer_id = version.pacticipant_id
    sha = pact_sha(content)
    if existing is None:
        previous_sha = repo.latest_sha(session, consumer_id, provider.id)
        pact_version = _pact_version(session, consumer_id, provider.id, content, sha)
        publication, inserted = insert_or_get(
            session,
            PactPublication,
            {
                "consumer_version_id": version.id,
                "consumer_id": consumer_id,
                "provider_id": provider.id,
                "pact_version_id": pact_version.id,
            },
            key=["consumer_version_id", "provider_id"],
            look_first=False,  # ``existing`` was read: this version had no pact with it
        )
        if inserted:
            return StoredPact(
                publication, provider, "created", _events(publication, changed=previous_sha != sha)
            )
        # Another request published this version's pact first: decide against its content.
        existing = repo.stored_pacts_of_version(session, version.id)[provider.id]
    publication, stored = existing
    if stored.sha == sha and not merge:
        return StoredPact(publication, provider, "unchanged", _events(publication, changed=False))
    if stored.sha != sha and not may_change:
        raise ContentChanged(stored)
    # Changing a publication: lock it, so concurrent merges apply one after the other.
    publication, stored = repo.lock_publication(session, publication.id)
    if merge:
        content = _merge(json.loads(stored.content), content)
        sha = pact_sha(content)
    if sha == stored.sha:
        outcome = "merged" if merge else "unchanged"
        return StoredPact(publication, provider, outcome, _events(publication, changed=False))
    publication.pact_version_id = _pact_version(session, consumer_id, provider.id, content, sha).id
    publication.revision_number += 1
    session.flush()
    outcome = "merged" if merge else "modified"
    return StoredPact(publication, provider, outcome, _events(publication, changed=True))


def _events(publication: PactPublication, *, changed: bool) -> list[Event]:
    context = {"publication_id": publication.id}
    events = [Event(CONTRACT_PUBLISHED, publication.consumer_id, publication.provider_id, context)]
    if changed:
        events.append(
            Event(
                CONTRACT_CONTENT_CHANGED, publication.consumer_id, publication.provider_id, context
            )
        )
    return events


def _pact_version(
    session: Session, consumer_id: int, provider_id: int, content: dict[str, Any], sha: str
) -> PactVersion:
    found = repo.find_pact_version(session, consumer_id, provider_id, sha)
    if found is not None:
        return found
    stored, _ = insert_or_get(
        session,
        PactVersion,
        {
            "consumer_id": consumer_id,
            "provider_id": provider_id,
            "sha": sha,
            "content": canonical_json(with_interaction_ids(content)),
        },
        key=["consumer_id", "provider_id", "sha"],
        look_first=False,
    )
    return stored


def _interaction_key(interaction: dict[str, Any]) -> str:
    states = interaction.get("providerStates") or interaction.get("providerState")
    return canonical_json([interaction.get("description"), states])


def _merge(stored: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Interactions of both; the same description and state with other content conflicts."""
    merged = dict(stored)
    key = "interactions" if "interactions" in new or "interactions" in stored else "messages"
    by_key = {_interaction_key(i): i for i in interactions_of(stored)}
    for interaction in interactions_of(new):
        k = _interaction_key(interaction)
        current = by_key.get(k)
        bare = {x: y for x, y in interaction.items() if x != "_id"}
        if current is not None and {x: y for x, y in current.items() if x != "_id"} != bare:
            raise Conflict(
                "Cannot merge pacts: the interaction "
                f"'{interaction.get('description')}' already exists with different content"
            )
        by_key[k] = bare
    merged[key] = [{x: y for x, y in i.items() if x != "_id"} for i in by_key.values()]
    return merged
