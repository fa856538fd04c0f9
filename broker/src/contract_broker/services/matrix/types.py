"""The matrix's shared vocabulary: selectors, options, queries, resolved selectors, integrations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

__all__ = [
    "DEFAULT_LIMIT",
    "LATESTBY",
    "MAX_LIMIT",
    "NO_ID",
    "Integration",
    "Kind",
    "MatrixQuery",
    "Options",
    "QueryItems",
    "Resolved",
    "Selector",
]

LATESTBY = ("cvpv", "cvp", "cp")
DEFAULT_LIMIT = 100
# The limit goes into SQL; anything above this is as good as "all" and stays a valid integer.
MAX_LIMIT = 1_000_000
NO_ID = -1
"""The id of a version (or pacticipant) that does not exist: it matches no row."""

QueryItems = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Selector:
    """A selector as the client wrote it: a pacticipant and which of its versions."""

    pacticipant: str | None = None
    version: str | None = None
    latest: bool = False
    branch: str | None = None
    tag: str | None = None
    environment: str | None = None
    main_branch: bool = False

    def only_pacticipant(self) -> bool:
        """Every version of the pacticipant: nothing but the name is given."""
        return self.pacticipant is not None and self == Selector(pacticipant=self.pacticipant)

    def plain_version(self) -> bool:
        """A pacticipant and a version number, nothing else (resolved in one batch)."""
        return self.version is not None and self == Selector(self.pacticipant, self.version)


@dataclass(frozen=True)
class Options:
    latestby: str | None = None
    limit: int | None = DEFAULT_LIMIT
    latest: bool | None = None
    tag: str | None = None
    environment: str | None = None
    main_branch: bool | None = None
    ignore: tuple[Selector, ...] = ()
    success: tuple[bool | None, ...] | None = None

    def infers_selectors(self) -> bool:
        """A target is named, so the other side's versions are inferred from it."""
        return bool(self.latest or self.tag or self.environment or self.main_branch)

    def names_a_destination(self) -> bool:
        return bool(self.tag or self.environment or self.main_branch)


@dataclass(frozen=True)
class MatrixQuery:
    selectors: tuple[Selector, ...] = ()
    options: Options = field(default_factory=Options)
    problems: tuple[str, ...] = ()
    """What is wrong with the query string itself (reported with the validation errors)."""
    limit_text: str | None = None


class Kind(Enum):
    SPECIFIED = "specified"
    INFERRED = "inferred"
    IGNORE = "ignore"


@dataclass(frozen=True)
class Resolved:
    """A selector with its pacticipant and (one of) its versions looked up.

    ``version_id`` None means every version of the pacticipant; ``NO_ID`` means no version
    matched (and ``pacticipant_id`` ``NO_ID`` that the pacticipant does not exist).
    """

    pacticipant_id: int
    pacticipant_name: str
    original: Selector
    kind: Kind
    ignore: bool = False
    version_id: int | None = None
    version_number: str | None = None
    latest: bool = False
    tag: str | None = None
    branch: str | None = None
    main_branch: bool = False
    environment: str | None = None
    one_of_many: bool = False

    @property
    def specified(self) -> bool:
        return self.kind is Kind.SPECIFIED

    @property
    def only_pacticipant(self) -> bool:
        return self.original.only_pacticipant()

    @property
    def version_exists(self) -> bool:
        return self.version_id != NO_ID

    @property
    def pacticipant_exists(self) -> bool:
        return self.pacticipant_id != NO_ID

    def description(self) -> str:
        """How the reasons name this selector (the Pact Broker's wording)."""
        name, number, tag, branch = (
            self.pacticipant_name,
            self.version_number,
            self.tag,
            self.branch,
        )
        if self.latest and tag:
            found = f"({number})" if number else "(no such version exists)"
            return f"the latest version of {name} with tag {tag} {found}"
        if self.main_branch and number is None:
            which = "the latest version" if self.latest else "any version"
            return f"{which} of {name} from the main branch (no versions exist for this branch)"
        if self.latest and branch:
            found = f"({number})" if number else "(no such version exists)"
            return f"the latest version of {name} from branch {branch} {found}"
        if branch and number:
            prefix = "one of the versions" if self.one_of_many else "the version"
            return f"{prefix} of {name} from branch {branch} ({number})"
        if branch:
            return f"a version of {name} from branch {branch} (no such version exists)"
        if self.latest:
            found = f"({number})" if number else "(no such version exists)"
            return f"the latest version of {name} {found}"
        if tag:
            found = f"({number})" if number else "(no such version exists)"
            return f"a version of {name} with tag {tag} {found}"
        if self.environment and number:
            prefix = "one of the versions" if self.one_of_many else "the version"
            return f"{prefix} of {name} currently in {self.environment} ({number})"
        if self.environment:
            return (
                f"a version of {name} currently in {self.environment} (no version is currently "
                "recorded as deployed/released in this environment)"
            )
        if number and not self.version_exists:
            return f"version {number} of {name} (no such version exists)"
        if number:
            return f"version {number} of {name}"
        if not self.pacticipant_exists:
            return f"any version of {name} (no such pacticipant exists)"
        return f"any version of {name}"

    def missing_description(self) -> str:
        """Why a specified version that does not exist stops the deployment."""
        name = self.pacticipant_name
        if self.version_exists:
            return ""
        if self.tag:
            return f"No version with tag {self.tag} exists for {name}"
        if self.branch:
            return f"No version of {name} from branch {self.branch} exists"
        if self.main_branch:
            return f"No version of {name} from the main branch exists"
        if self.environment:
            return (
                f"No version of {name} is currently recorded as deployed or released in "
                f"environment {self.environment}"
            )
        if self.version_number:
            return (
                "No pacts or verifications have been published for version "
                f"{self.version_number} of {name}"
            )
        return f"No pacts or verifications have been published for {name}"


@dataclass(frozen=True)
class Integration:
    """A consumer/provider pair in this query; ``required`` when the consumer is specified."""

    consumer_id: int
    consumer_name: str
    provider_id: int
    provider_name: str
    required: bool
