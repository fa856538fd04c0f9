"""What the matrix repository returns: versions, integrations, rows and what a version shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "BranchInfo",
    "EnvironmentInfo",
    "IntegrationRef",
    "Known",
    "MatrixRow",
    "TagInfo",
    "VersionDetails",
    "VersionRef",
]


@dataclass(frozen=True)
class VersionRef:
    """A version found for a selector; ``branch`` is the main branch's name for main-branch ones."""

    id: int
    pacticipant_id: int
    number: str
    branch: str | None = None


@dataclass(frozen=True)
class IntegrationRef:
    consumer_id: int
    consumer_name: str
    provider_id: int
    provider_name: str


@dataclass(frozen=True)
class MatrixRow:
    """A consumer version's pact with a provider, and (maybe) one verification of its content."""

    pact_publication_id: int
    consumer_id: int
    consumer_name: str
    consumer_version_id: int
    consumer_version_number: str
    provider_id: int
    provider_name: str
    pact_version_id: int
    pact_version_sha: str
    pact_revision: int
    pact_created_at: datetime
    verification_id: int | None = None
    verification_number: int | None = None
    success: bool | None = None
    verified_at: datetime | None = None
    provider_version_id: int | None = None
    provider_version_number: str | None = None
    #: The provider contract the verification compared the pact with (None: a replay).
    provider_contract_id: int | None = None


@dataclass(frozen=True)
class TagInfo:
    name: str
    created_at: datetime
    latest: bool


@dataclass(frozen=True)
class BranchInfo:
    name: str
    created_at: datetime
    latest: bool


@dataclass(frozen=True)
class EnvironmentInfo:
    uuid: str
    name: str
    display_name: str | None
    production: bool
    created_at: datetime
    updated_at: datetime


@dataclass
class VersionDetails:
    """What the matrix shows of a version besides its number."""

    tags: list[TagInfo] = field(default_factory=list)
    branches: list[BranchInfo] = field(default_factory=list)
    environments: list[EnvironmentInfo] = field(default_factory=list)


@dataclass(frozen=True)
class Known:
    """Pacticipant names and version numbers the caller already has, by id."""

    names: dict[int, str] = field(default_factory=dict)
    numbers: dict[int, str] = field(default_factory=dict)
