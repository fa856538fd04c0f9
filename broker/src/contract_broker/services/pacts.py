"""Finding pacts: by consumer version, content SHA, latest (overall, tag, branch)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from contract_broker.errors import NotFound
from contract_broker.models import Pacticipant, PactPublication, PactVersion, Version
from contract_broker.repositories import pacticipants as pacticipant_repo
from contract_broker.repositories import pacts as repo
from contract_broker.services.content import load_json

__all__ = [
    "PactDetail",
    "PactView",
    "decode_metadata",
    "detail_of",
    "encode_metadata",
    "find_pact",
    "find_pact_by_sha",
    "get_pact",
    "get_pact_by_sha",
    "latest_pacts",
    "pacts_for_consumer_branch",
    "pacts_of_pair",
    "view_of",
]


@dataclass(frozen=True)
class PactView:
    """A pact as served: its publication, content, and the pacticipants."""

    publication: PactPublication
    pact_version: PactVersion
    consumer: Pacticipant
    provider: Pacticipant

    @property
    def consumer_version(self) -> Version:
        return self.publication.consumer_version

    @property
    def content(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.pact_version.content)
        return loaded


@dataclass(frozen=True)
class PactDetail:
    """A pact as its own resource shows it: with the versions its links name."""

    pact: PactView
    previous_number: str | None  # the consumer version of the previous distinct content
    consumer_version_numbers: list[str]  # every consumer version that published this content


def encode_metadata(values: dict[str, Any]) -> str:
    """The opaque metadata segment of a pact URL (how the pact was selected)."""
    raw = json.dumps(values, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_metadata(segment: str | None) -> dict[str, Any]:
    """What ``encode_metadata`` wrote; ``{}`` for anything else (it is only a hint)."""
    if not segment:
        return {}
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = load_json(raw)
    except (binascii.Error, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _pair(
    session: Session, provider_name: str, consumer_name: str
) -> tuple[Pacticipant, Pacticipant]:
    provider = pacticipant_repo.find_pacticipant(session, provider_name)
    consumer = pacticipant_repo.find_pacticipant(session, consumer_name)
    if provider is None or consumer is None:
        missing = provider_name if provider is None else consumer_name
        raise NotFound(f"No pacticipant with name '{missing}' found")
    return consumer, provider


def view_of(session: Session, publication: PactPublication) -> PactView:
    pact_version = session.get(PactVersion, publication.pact_version_id)
    consumer = session.get(Pacticipant, publication.consumer_id)
    provider = session.get(Pacticipant, publication.provider_id)
    assert pact_version is not None
    assert consumer is not None
    assert provider is not None
    return PactView(publication, pact_version, consumer, provider)


def find_pact(
    session: Session,
    provider_name: str,
    consumer_name: str,
    *,
    version: str | None = None,
    tag: str | None = None,
    branch: str | None = None,
    untagged: bool = False,
) -> PactView:
    """The pact of a consumer version, or the latest (with a tag, on a branch, or overall)."""
    consumer, provider = _pair(session, provider_name, consumer_name)
    publication: PactPublication | None
    if version is not None:
        row = pacticipant_repo.find_version(session, consumer.id, version)
        publication = repo.find_publication(session, row.id, provider.id) if row else None
        what = f"version {version}"
    elif tag is not None:
        publication = repo.latest_publication_with_tag(session, consumer.id, provider.id, tag)
        what = f"the latest version tagged '{tag}'"
    elif branch is not None:
        publication = repo.latest_publication_for_branch(session, consumer.id, provider.id, branch)
        what = f"the latest version of branch '{branch}'"
    elif untagged:
        publication = repo.latest_untagged_publication(session, consumer.id, provider.id)
        what = "the latest untagged version"
    else:
        publication = repo.latest_publication(session, consumer.id, provider.id)
        what = "any version"
    if publication is None:
        raise NotFound(f"No pact found between {consumer_name} ({what}) and {provider_name}")
    return view_of(session, publication)


def detail_of(session: Session, view: PactView) -> PactDetail:
    """``view`` with the previous distinct version and the versions sharing its content."""
    previous = repo.previous_distinct_publication(session, view.publication)
    publications = repo.publications_of_pact_version(session, view.pact_version.id)
    return PactDetail(
        view,
        previous.consumer_version.number if previous is not None else None,
        [p.consumer_version.number for p in publications],
    )


def get_pact(
    session: Session,
    provider_name: str,
    consumer_name: str,
    *,
    version: str | None = None,
    tag: str | None = None,
    branch: str | None = None,
    untagged: bool = False,
) -> PactDetail:
    """What ``find_pact`` finds, as its own resource shows it."""
    view = find_pact(
        session,
        provider_name,
        consumer_name,
        version=version,
        tag=tag,
        branch=branch,
        untagged=untagged,
    )
    return detail_of(session, view)


def get_pact_by_sha(
    session: Session, provider_name: str, consumer_name: str, sha: str
) -> PactDetail:
    """What ``find_pact_by_sha`` finds, as its own resource shows it."""
    return detail_of(session, find_pact_by_sha(session, provider_name, consumer_name, sha))


def find_pact_by_sha(
    session: Session, provider_name: str, consumer_name: str, sha: str
) -> PactView:
    """The pact content with this SHA, shown for the newest consumer version that published it."""
    consumer, provider = _pair(session, provider_name, consumer_name)
    pact_version = repo.find_pact_version(session, consumer.id, provider.id, sha)
    publications = pact_version and repo.publications_of_pact_version(session, pact_version.id)
    if not publications:
        raise NotFound(
            f"No pact with content SHA {sha} between {consumer_name} and {provider_name} found"
        )
    return view_of(session, publications[-1])


def pacts_of_pair(session: Session, provider_name: str, consumer_name: str) -> list[PactView]:
    """Every pact between the two, newest first (at most 100)."""
    consumer, provider = _pair(session, provider_name, consumer_name)
    return [
        view_of(session, p) for p in repo.publications_of_pair(session, consumer.id, provider.id)
    ]


def latest_pacts(
    session: Session, provider_name: str | None = None, *, tag: str | None = None
) -> list[PactView]:
    """The latest pact of every integration (of one provider; of versions with a tag)."""
    provider_id = None
    if provider_name is not None:
        provider = pacticipant_repo.find_pacticipant(session, provider_name)
        if provider is None:
            raise NotFound(f"No pacticipant with name '{provider_name}' found")
        provider_id = provider.id
    return [
        view_of(session, p)
        for p in repo.latest_publications_per_integration(session, provider_id, tag=tag)
    ]


def pacts_for_consumer_branch(
    session: Session,
    provider_name: str,
    *,
    branch: str | None,
    latest: bool,
    consumer_name: str | None = None,
) -> list[PactView]:
    """The provider's pacts from consumer versions on a branch (None: each main branch).

    ``latest``: only the pact of each branch head. ``consumer_name``: of that consumer only.
    """
    if consumer_name is not None:
        consumer, provider = _pair(session, provider_name, consumer_name)
    else:
        found = pacticipant_repo.find_pacticipant(session, provider_name)
        if found is None:
            raise NotFound(f"No pacticipant with name '{provider_name}' found")
        consumer, provider = None, found
    return [
        view_of(session, p)
        for p in repo.publications_for_consumer_branch(
            session,
            provider.id,
            branch=branch,
            latest=latest,
            consumer_id=consumer.id if consumer is not None else None,
        )
    ]
