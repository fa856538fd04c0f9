"""What the integration matrix page and the pacticipant page show, each read as one view."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy.orm import Session

from contract_broker.errors import Invalid, NotFound
from contract_broker.models import DeployedVersion, Environment, Pacticipant, ReleasedVersion
from contract_broker.repositories import environments as environment_repo
from contract_broker.repositories import labels as label_repo
from contract_broker.repositories import matrix as matrix_repo
from contract_broker.repositories import pacticipants as pacticipant_repo
from contract_broker.repositories import page_queries
from contract_broker.repositories import verifications as verifications_repo
from contract_broker.repositories.matrix import MatrixRow, VersionDetails
from contract_broker.services.integrations import pact_status
from contract_broker.services.matrix.failures import failure_lines
from contract_broker.services.matrix.rows import apply_latestby, sort_rows

__all__ = [
    "BRANCHES_SHOWN",
    "INTEGRATIONS_SHOWN",
    "MAX_ROWS",
    "PAGE_SIZE",
    "IntegrationStatus",
    "MatrixFilters",
    "MatrixPage",
    "PacticipantPage",
    "matrix_page",
    "pacticipant_page",
]

#: Rows per page of the integration matrix.
PAGE_SIZE = 50
#: Matrix rows read for the page at most (newest first); filters reach older ones.
MAX_ROWS = 1000
#: Branches (newest head first) a pacticipant's page and the matrix page's filters list.
BRANCHES_SHOWN = 20
#: Integrations a pacticipant's page lists (by the other side's name); it says how many more.
INTEGRATIONS_SHOWN = 100


@dataclass(frozen=True)
class MatrixFilters:
    """Which versions of each side the matrix page shows (None: every version)."""

    consumer_branch: str | None = None
    consumer_environment: str | None = None
    provider_branch: str | None = None
    provider_environment: str | None = None

    def any(self) -> bool:
        return self != MatrixFilters()


@dataclass(frozen=True)
class MatrixPage:
    """One page of an integration's matrix rows, with what each row's versions show."""

    consumer: Pacticipant
    provider: Pacticipant
    filters: MatrixFilters
    rows: list[MatrixRow]
    details: dict[int, VersionDetails]
    #: What each failed verification on this page saw fail, by verification id.
    failures: dict[int, tuple[str, ...]]
    page: int
    pages: int
    total: int
    #: The rows read reached ``MAX_ROWS``: older ones are left out.
    capped: bool
    environments: list[Environment]
    consumer_branches: list[str]
    provider_branches: list[str]


@dataclass(frozen=True)
class IntegrationStatus:
    pair: page_queries.Pair
    #: The pact badge's status: verified, failed, changed or unknown.
    status: str


@dataclass(frozen=True)
class PacticipantPage:
    pacticipant: Pacticipant
    labels: list[str]
    heads: list[page_queries.BranchHead]
    branch_count: int
    details: dict[int, VersionDetails]
    deployed: list[DeployedVersion]
    released: list[ReleasedVersion]
    #: The first ``INTEGRATIONS_SHOWN`` by the other side's name.
    integrations: list[IntegrationStatus]
    #: How many integrations the pacticipant has (more than listed when over the limit).
    integration_count: int
    environments: list[Environment]


def _pacticipant(session: Session, name: str) -> Pacticipant:
    found = pacticipant_repo.find_pacticipant(session, name)
    if found is None:
        raise NotFound(f"No pacticipant with name '{name}' found")
    return found


def _environments(session: Session, filters: MatrixFilters) -> list[Environment]:
    """Every environment; ``Invalid`` naming a filter's environment that does not exist."""
    environments = list(environment_repo.list_environments(session))
    names = {e.name for e in environments}
    errors: dict[str, list[str]] = {}
    for field, value in (
        ("consumer_environment", filters.consumer_environment),
        ("provider_environment", filters.provider_environment),
    ):
        if value is not None and value not in names:
            known = ", ".join(sorted(names)) or "none yet"
            errors[field] = [f"no environment is named '{value}' (environments: {known})"]
    if errors:
        raise Invalid(errors)
    return environments


def matrix_page(
    session: Session, provider_name: str, consumer_name: str, filters: MatrixFilters, page: int
) -> MatrixPage:
    """The consumer versions by provider versions of one integration, newest first.

    ``NotFound`` for an unknown pacticipant; ``Invalid`` for an unknown environment. A page
    past the last one is the last one.
    """
    consumer = _pacticipant(session, consumer_name)
    provider = _pacticipant(session, provider_name)
    environments = _environments(session, filters)
    # Only this direction and the filtered versions are read, before the cap: a pacticipant's
    # rows as the other side's consumer (or its own) can never crowd this pair's out.
    read = page_queries.pair_rows(
        session,
        consumer=(consumer.id, consumer.name),
        provider=(provider.id, provider.name),
        consumer_filter=page_queries.SideFilter(
            filters.consumer_branch, filters.consumer_environment
        ),
        provider_filter=page_queries.SideFilter(
            filters.provider_branch, filters.provider_environment
        ),
        limit=MAX_ROWS,
    )
    every = sort_rows(apply_latestby(read, "cvpv"))
    pages = max(1, math.ceil(len(every) / PAGE_SIZE))
    page = min(page, pages)
    rows = every[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    failed = {r.verification_id: r for r in rows if r.success is False and r.verification_id}
    results = verifications_repo.test_results_of(session, failed) if failed else {}
    failures = {
        verification_id: failure_lines(
            test_results,
            provider=row.provider_name,
            provider_version=row.provider_version_number,
            consumer=row.consumer_name,
        )
        for verification_id, row in failed.items()
        if (test_results := results.get(verification_id)) is not None
    }
    heads = [
        [h.branch for h in page_queries.newest_branch_heads(session, p.id, BRANCHES_SHOWN)]
        for p in (consumer, provider)
    ]
    return MatrixPage(
        consumer=consumer,
        provider=provider,
        filters=filters,
        rows=rows,
        details=matrix_repo.version_details(
            session,
            [r.consumer_version_id for r in rows]
            + [r.provider_version_id for r in rows if r.provider_version_id is not None],
        ),
        failures=failures,
        page=page,
        pages=pages,
        total=len(every),
        capped=len(read) >= MAX_ROWS,
        environments=environments,
        consumer_branches=heads[0],
        provider_branches=heads[1],
    )


def pacticipant_page(session: Session, name: str) -> PacticipantPage:
    """A pacticipant: its labels, newest branch heads and where they run, what is deployed or
    released now, and its integrations with their pact status. ``NotFound`` when unknown."""
    pacticipant = _pacticipant(session, name)
    heads = page_queries.newest_branch_heads(session, pacticipant.id, BRANCHES_SHOWN)
    pairs, integration_count = page_queries.pairs_of(session, pacticipant.id, INTEGRATIONS_SHOWN)
    integrations = [
        IntegrationStatus(pair, pact_status(pair.latest_pact_version_id, pair.latest_verification))
        for pair in pairs
    ]
    labels = label_repo.labels_of(session, [pacticipant.id])[pacticipant.id]
    return PacticipantPage(
        pacticipant=pacticipant,
        labels=[label.name for label in labels],
        heads=heads,
        branch_count=page_queries.branch_count(session, pacticipant.id),
        details=matrix_repo.version_details(session, [h.version.id for h in heads]),
        deployed=list(
            environment_repo.currently_deployed(session, pacticipant_ids=[pacticipant.id])
        ),
        released=list(
            environment_repo.currently_released(session, pacticipant_ids=[pacticipant.id])
        ),
        integrations=integrations,
        integration_count=integration_count,
        environments=list(environment_repo.list_environments(session)),
    )
