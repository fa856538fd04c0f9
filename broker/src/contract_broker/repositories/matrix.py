"""SQL behind the matrix and can-i-deploy: versions for selectors, integrations and matrix rows.

Every function is one statement whatever the size of the data; callers batch their ids. The
statements are built once (per shape) with bound parameters: building SQLAlchemy constructs
costs more than running these indexed queries, and can-i-deploy sits in every pipeline.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    DateTime,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    false,
    func,
    literal,
    null,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy import (
    cast as cast_as,
)
from sqlalchemy.orm import Session

from contract_broker.repositories._tables import (
    BRANCH_VERSIONS,
    BRANCHES,
    DEPLOYED,
    ENVIRONMENTS,
    PACT_VERSIONS,
    PACTICIPANTS,
    PUBLICATIONS,
    RELEASED,
    TAGS,
    VERIFICATIONS,
    VERSIONS,
    ids,
    present,
    run,
)

__all__ = [
    "BranchInfo",
    "EnvironmentInfo",
    "IntegrationRef",
    "Known",
    "MatrixRow",
    "TagInfo",
    "VersionDetails",
    "VersionRef",
    "integrations_between",
    "integrations_of",
    "lookup",
    "rows_between_selectors",
    "rows_for_one_selector",
    "version_details",
    "versions_for_criteria",
    "versions_with_numbers",
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


# ---------------------------------------------------------------- names


@cache
def _lookup(names: bool, environment: bool, numbers: bool) -> Any:
    parts = []
    if names:
        parts.append(
            select(
                literal("pacticipant").label("kind"),
                PACTICIPANTS.c.name,
                PACTICIPANTS.c.id,
                cast_as(null(), String).label("number"),
            ).where(PACTICIPANTS.c.name.in_(ids("names")))
        )
    if environment:
        parts.append(
            select(
                literal("environment").label("kind"),
                ENVIRONMENTS.c.name,
                ENVIRONMENTS.c.id,
                cast_as(null(), String).label("number"),
            ).where(ENVIRONMENTS.c.name == bindparam("environment"))
        )
    if names and numbers:
        parts.append(
            select(
                literal("version").label("kind"),
                PACTICIPANTS.c.name,
                VERSIONS.c.id,
                VERSIONS.c.number,
            )
            .join(PACTICIPANTS, PACTICIPANTS.c.id == VERSIONS.c.pacticipant_id)
            .where(PACTICIPANTS.c.name.in_(ids("names")), VERSIONS.c.number.in_(ids("numbers")))
        )
    return parts[0] if len(parts) == 1 else union_all(*parts)


def lookup(
    session: Session,
    names: Iterable[str],
    environment: str | None,
    numbers: Iterable[str] = (),
) -> tuple[dict[str, int], bool, list[VersionRef]]:
    """``{name: id}`` of the pacticipants with these names, whether the environment exists, and
    the versions of these pacticipants with any of ``numbers`` (the caller pairs them up): what
    versions_with_numbers would find, in the same statement."""
    wanted = list(set(names))
    wanted_numbers = list(set(numbers))
    if not wanted and environment is None:
        return {}, False, []
    params: dict[str, Any] = {"names": wanted} if wanted else {}
    if environment is not None:
        params["environment"] = environment
    if wanted and wanted_numbers:
        params["numbers"] = wanted_numbers
    statement = _lookup(bool(wanted), environment is not None, bool(wanted and wanted_numbers))
    rows = run(session, statement, **params)
    ids = {row[1]: row[2] for row in rows if row[0] == "pacticipant"}
    versions = sorted(
        (VersionRef(row[2], ids[row[1]], row[3]) for row in rows if row[0] == "version"),
        key=lambda v: v.id,
    )
    return ids, any(row[0] == "environment" for row in rows), versions


# ---------------------------------------------------------------- versions for selectors


@cache
def _versions_with_numbers() -> Select[Any]:
    return (
        select(VERSIONS.c.id, VERSIONS.c.pacticipant_id, VERSIONS.c.number)
        .where(VERSIONS.c.pacticipant_id.in_(ids("ids")), VERSIONS.c.number.in_(ids("numbers")))
        .order_by(VERSIONS.c.id)
    )


def versions_with_numbers(
    session: Session, pacticipant_ids: Collection[int], numbers: Collection[str]
) -> list[VersionRef]:
    """Versions of these pacticipants with any of these numbers (the caller pairs them up)."""
    if not pacticipant_ids or not numbers:
        return []
    rows = run(
        session,
        _versions_with_numbers(),
        ids=list(set(pacticipant_ids)),
        numbers=list(set(numbers)),
    )
    return [VersionRef(*row) for row in rows]


def _in_environment() -> ColumnElement[bool]:
    """Currently deployed to, or released and supported in, the environment ``:environment``."""
    environment_id = (
        select(ENVIRONMENTS.c.id)
        .where(ENVIRONMENTS.c.name == bindparam("environment"))
        .scalar_subquery()
    )
    deployed = select(DEPLOYED.c.version_id).where(
        DEPLOYED.c.environment_id == environment_id,
        DEPLOYED.c.pacticipant_id.in_(ids("ids")),
        DEPLOYED.c.undeployed_at.is_(None),
    )
    released = select(RELEASED.c.version_id).where(
        RELEASED.c.environment_id == environment_id,
        RELEASED.c.pacticipant_id.in_(ids("ids")),
        RELEASED.c.support_ended_at.is_(None),
    )
    # One IN over the union (not two ORed): PostgreSQL then probes versions by id.
    return VERSIONS.c.id.in_(union(deployed, released))


def _on_branch(*, main: bool, head: bool) -> ColumnElement[bool]:
    """On the branch ``:branch`` (or each pacticipant's main branch); its head when ``head``."""
    branch_ids = select(BRANCHES.c.id).where(BRANCHES.c.pacticipant_id.in_(ids("ids")))
    if main:
        branch_ids = branch_ids.join(
            PACTICIPANTS,
            and_(
                PACTICIPANTS.c.id == BRANCHES.c.pacticipant_id,
                PACTICIPANTS.c.main_branch == BRANCHES.c.name,
            ),
        )
    else:
        branch_ids = branch_ids.where(BRANCHES.c.name == bindparam("branch"))
    if head:
        heads = (
            select(func.max(BRANCH_VERSIONS.c.version_id))
            .where(BRANCH_VERSIONS.c.branch_id.in_(branch_ids))
            .group_by(BRANCH_VERSIONS.c.branch_id)
        )
        return VERSIONS.c.id.in_(heads)
    members = select(BRANCH_VERSIONS.c.version_id).where(
        BRANCH_VERSIONS.c.branch_id.in_(branch_ids)
    )
    return VERSIONS.c.id.in_(members)


@cache
def _versions_for_criteria(  # noqa: PLR0917 - the statement's shape, cached per combination
    number: bool, environment: bool, tag: bool, branch: bool, main_branch: bool, latest: bool
) -> Select[Any]:
    conditions: list[ColumnElement[bool]] = [VERSIONS.c.pacticipant_id.in_(ids("ids"))]
    if number:
        conditions.append(VERSIONS.c.number == bindparam("number"))
    if environment:
        conditions.append(_in_environment())
    if tag:
        tagged = select(TAGS.c.version_id).where(
            TAGS.c.pacticipant_id.in_(ids("ids")), TAGS.c.name == bindparam("tag")
        )
        conditions.append(VERSIONS.c.id.in_(tagged))
    if main_branch:
        conditions.append(_on_branch(main=True, head=latest))
    if branch:
        conditions.append(_on_branch(main=False, head=latest))
    if latest and not main_branch and not branch:
        newest = (
            select(func.max(VERSIONS.c.id)).where(*conditions).group_by(VERSIONS.c.pacticipant_id)
        )
        conditions = [VERSIONS.c.id.in_(newest)]
    branch_name: Any = PACTICIPANTS.c.main_branch if main_branch else literal(None)
    return (
        select(VERSIONS.c.id, VERSIONS.c.pacticipant_id, VERSIONS.c.number, branch_name)
        .join(PACTICIPANTS, PACTICIPANTS.c.id == VERSIONS.c.pacticipant_id)
        .where(*conditions)
        .order_by(VERSIONS.c.id)
    )


def versions_for_criteria(
    session: Session,
    pacticipant_ids: Collection[int],
    *,
    number: str | None = None,
    environment: str | None = None,
    tag: str | None = None,
    branch: str | None = None,
    main_branch: bool = False,
    latest: bool = False,
) -> list[VersionRef]:
    """The versions of these pacticipants matching every criterion given, oldest first.

    As the Pact Broker: ``latest`` with a branch (or the main branch) means the branch head;
    otherwise it means the newest version of each pacticipant among those matching.
    """
    if not pacticipant_ids:
        return []
    statement = _versions_for_criteria(
        number is not None,
        environment is not None,
        tag is not None,
        branch is not None,
        main_branch,
        latest,
    )
    values = {"number": number, "environment": environment, "tag": tag, "branch": branch}
    params = {k: v for k, v in values.items() if v is not None}
    rows = run(session, statement, ids=list(set(pacticipant_ids)), **params)
    return [VersionRef(*row) for row in rows]


# ---------------------------------------------------------------- integrations


def _either(*conditions: ColumnElement[bool] | None) -> ColumnElement[bool]:
    """OR of the conditions given; an empty list parameter is left out of the statement
    altogether, as ``IN ()`` inside an OR keeps SQLite from using the index of the other side."""
    present = [c for c in conditions if c is not None]
    return or_(*present) if present else false()


@cache
def _integrations(versions: bool, consumers: bool, providers: bool) -> Any:
    parts = []
    if versions or consumers:
        # As consumer: the providers of these consumer versions (or of every version of these
        # consumers). A consumer needs its providers.
        pairs = (
            select(PUBLICATIONS.c.consumer_id, PUBLICATIONS.c.provider_id)
            .where(
                _either(
                    PUBLICATIONS.c.consumer_version_id.in_(ids("versions")) if versions else None,
                    PUBLICATIONS.c.consumer_id.in_(ids("consumers")) if consumers else None,
                )
            )
            .distinct()
            .subquery("pairs")
        )
        consumer = PACTICIPANTS.alias("consumer")
        provider = PACTICIPANTS.alias("provider")
        parts.append(
            select(
                pairs.c.consumer_id,
                consumer.c.name,
                pairs.c.provider_id,
                provider.c.name,
                literal(True).label("required"),
            )
            .join(consumer, consumer.c.id == pairs.c.consumer_id)
            .join(provider, provider.c.id == pairs.c.provider_id)
        )
    if providers:
        # As provider: every consumer with pacts for these providers, which may or may not be
        # deployed. One probe of the (provider, consumer, version) index per pacticipant rather
        # than a scan of the provider's publications: max() of the index's last column is read
        # from its end by both SQLite and PostgreSQL.
        consumer = PACTICIPANTS.alias("any_consumer")
        provider = PACTICIPANTS.alias("this_provider")
        has_pact = (
            select(func.max(PUBLICATIONS.c.consumer_version_id))
            .where(
                PUBLICATIONS.c.provider_id == provider.c.id,
                PUBLICATIONS.c.consumer_id == consumer.c.id,
            )
            .scalar_subquery()
            .is_not(None)
        )
        parts.append(
            select(
                consumer.c.id,
                consumer.c.name,
                provider.c.id,
                provider.c.name,
                literal(False).label("required"),
            )
            .select_from(consumer)
            .join(provider, provider.c.id.in_(ids("providers")))
            .where(has_pact)
        )
    return parts[0] if len(parts) == 1 else union_all(*parts)


def integrations_of(
    session: Session,
    *,
    version_ids: Iterable[int],
    consumer_ids: Iterable[int],
    provider_ids: Iterable[int],
) -> tuple[list[IntegrationRef], list[IntegrationRef]]:
    """The integrations these versions take part in: (as consumer, as provider).

    As consumer: pairs with the providers of the consumer versions ``version_ids`` (or of every
    version of ``consumer_ids``). As provider: pairs with every consumer of ``provider_ids``.
    """
    versions, consumers = list(set(version_ids)), list(set(consumer_ids))
    providers = list(set(provider_ids))
    if not versions and not consumers and not providers:
        return [], []
    statement = _integrations(bool(versions), bool(consumers), bool(providers))
    rows = run(
        session, statement, **present(versions=versions, consumers=consumers, providers=providers)
    )
    as_consumer = [IntegrationRef(*row[:4]) for row in rows if row[4]]
    return as_consumer, [IntegrationRef(*row[:4]) for row in rows if not row[4]]


@cache
def _integrations_between(versions: bool, consumers: bool) -> Select[Any]:
    pairs = (
        select(PUBLICATIONS.c.consumer_id, PUBLICATIONS.c.provider_id)
        .where(
            _either(
                PUBLICATIONS.c.consumer_version_id.in_(ids("versions")) if versions else None,
                PUBLICATIONS.c.consumer_id.in_(ids("consumers")) if consumers else None,
            ),
            PUBLICATIONS.c.provider_id.in_(ids("providers")),
        )
        .distinct()
        .subquery("pairs")
    )
    consumer = PACTICIPANTS.alias("consumer")
    provider = PACTICIPANTS.alias("provider")
    return (
        select(pairs.c.consumer_id, consumer.c.name, pairs.c.provider_id, provider.c.name)
        .join(consumer, consumer.c.id == pairs.c.consumer_id)
        .join(provider, provider.c.id == pairs.c.provider_id)
    )


def integrations_between(
    session: Session,
    *,
    version_ids: Iterable[int],
    consumer_ids: Iterable[int],
    provider_ids: Iterable[int],
) -> list[IntegrationRef]:
    """Pairs where these consumer versions (or consumers) have pacts with one of these providers."""
    versions, consumers = list(set(version_ids)), list(set(consumer_ids))
    providers = list(set(provider_ids))
    if not providers or (not versions and not consumers):
        return []
    statement = _integrations_between(bool(versions), bool(consumers))
    params = present(versions=versions, consumers=consumers)
    rows = run(session, statement, providers=providers, **params)
    return [IntegrationRef(*row) for row in rows]


# ---------------------------------------------------------------- matrix rows


def _latest_of_its_pair(verification: Any) -> ColumnElement[bool]:
    """The newest verification of its pact content by its provider version.

    A correlated max() rather than NOT EXISTS: PostgreSQL would plan the latter as one more
    join, and planning (not running) dominates this statement.
    """
    same = VERIFICATIONS.alias("same_pair")
    newest = (
        select(func.max(same.c.id))
        .where(
            same.c.pact_version_id == verification.c.pact_version_id,
            same.c.provider_version_id == verification.c.provider_version_id,
        )
        .scalar_subquery()
    )
    latest: ColumnElement[bool] = verification.c.id == newest
    return latest


def _row_columns(publication: Any, verification: Any) -> list[Any]:
    return [
        publication.c.id.label("pact_publication_id"),
        publication.c.consumer_id.label("consumer_id"),
        publication.c.provider_id.label("provider_id"),
        publication.c.consumer_version_id.label("consumer_version_id"),
        publication.c.pact_version_id.label("pact_version_id"),
        publication.c.revision_number.label("pact_revision"),
        publication.c.created_at.label("pact_created_at"),
        verification.c.id.label("verification_id"),
        verification.c.number.label("verification_number"),
        verification.c.success.label("success"),
        verification.c.execution_date.label("verified_at"),
        verification.c.created_at.label("verification_created_at"),
        verification.c.provider_version_id.label("provider_version_id"),
    ]


def _verified_by_selected(verification: Any, names: bool, versions: bool) -> ColumnElement[bool]:
    """By every version of the providers ``:names``, or by the provider versions ``:versions``."""
    return _either(
        verification.c.provider_id.in_(ids("names")) if names else None,
        verification.c.provider_version_id.in_(ids("versions")) if versions else None,
    )


def _published_by_selected(publication: Any, names: bool, versions: bool) -> ColumnElement[bool]:
    """Of every version of the consumers ``:names``, or of the consumer versions ``:versions``."""
    return _either(
        publication.c.consumer_id.in_(ids("names")) if names else None,
        publication.c.consumer_version_id.in_(ids("versions")) if versions else None,
    )


@cache
def _rows_for_one_selector(
    latest_only: bool, limited: bool, names: bool, versions: bool
) -> Select[Any]:
    as_consumer_pub = PUBLICATIONS.alias("cp")
    as_consumer_ver = VERIFICATIONS.alias("cv")
    join_on = as_consumer_ver.c.pact_version_id == as_consumer_pub.c.pact_version_id
    if latest_only:
        join_on = and_(join_on, _latest_of_its_pair(as_consumer_ver))
    as_consumer = (
        select(*_row_columns(as_consumer_pub, as_consumer_ver))
        .select_from(as_consumer_pub)
        .outerjoin(as_consumer_ver, join_on)
        .where(_published_by_selected(as_consumer_pub, names, versions))
    )
    as_provider_pub = PUBLICATIONS.alias("pp")
    as_provider_ver = VERIFICATIONS.alias("pv")
    conditions = [_verified_by_selected(as_provider_ver, names, versions)]
    if latest_only:
        conditions.append(_latest_of_its_pair(as_provider_ver))
    as_provider = (
        select(*_row_columns(as_provider_pub, as_provider_ver))
        .select_from(as_provider_ver)
        .join(
            as_provider_pub,
            as_provider_pub.c.pact_version_id == as_provider_ver.c.pact_version_id,
        )
        .where(*conditions)
    )
    return _described(union(as_consumer, as_provider).subquery("matrix"), limited)


def rows_for_one_selector(
    session: Session,
    *,
    pacticipant_ids: Collection[int],
    version_ids: Collection[int],
    latest_only: bool,
    limit: int | None,
    known: Known,
) -> list[MatrixRow]:
    """One selector: its pacts with any verification, and its verifications of any pact.

    ``pacticipant_ids`` selects every version of the pacticipant, ``version_ids`` one version.
    """
    names, versions = list(set(pacticipant_ids)), list(set(version_ids))
    statement = _rows_for_one_selector(latest_only, limit is not None, bool(names), bool(versions))
    params = present(names=names, versions=versions)
    return _matrix_rows(session, statement, limit, params, known)


@cache
def _rows_between_selectors(
    latest_only: bool, limited: bool, names: bool, versions: bool, verifiers: tuple[bool, bool]
) -> Select[Any]:
    publication = PUBLICATIONS.alias("p")
    verification = VERIFICATIONS.alias("v")
    by_verifiers = _either(
        verification.c.provider_id.in_(ids("verifier_names")) if verifiers[0] else None,
        verification.c.provider_version_id.in_(ids("verifier_versions")) if verifiers[1] else None,
    )
    join_on = and_(
        verification.c.pact_version_id == publication.c.pact_version_id,
        verification.c.consumer_id.in_(ids("everyone")),
        by_verifiers,
    )
    if latest_only:
        join_on = and_(join_on, _latest_of_its_pair(verification))
    source = (
        select(*_row_columns(publication, verification))
        .select_from(publication)
        .outerjoin(verification, join_on)
        .where(
            publication.c.provider_id.in_(ids("everyone")),
            _published_by_selected(publication, names, versions),
            or_(
                publication.c.consumer_id.in_(ids("specified")),
                publication.c.provider_id.in_(ids("specified")),
            ),
        )
    )
    return _described(source.subquery("matrix"), limited)


def rows_between_selectors(
    session: Session,
    *,
    pacticipant_ids: Collection[int],
    version_ids: Collection[int],
    all_pacticipant_ids: Collection[int],
    specified_pacticipant_ids: Collection[int],
    verifier_ids: tuple[Collection[int], Collection[int]],
    latest_only: bool,
    limit: int | None,
    known: Known,
) -> list[MatrixRow]:
    """Pacts between the selected versions, left-joined to their verifications by selected versions.

    Verifications are restricted before the join, so a pact not verified by a selected provider
    version still yields a row (with no verification): that is how "unknown" is detected.
    ``verifier_ids`` (every version of these pacticipants, these versions) are the selected
    ones that may have verified; fewer values for the index to probe for each pact.
    """
    names, versions = list(set(pacticipant_ids)), list(set(version_ids))
    verifier_names, verifier_versions = list(set(verifier_ids[0])), list(set(verifier_ids[1]))
    statement = _rows_between_selectors(
        latest_only,
        limit is not None,
        bool(names),
        bool(versions),
        (bool(verifier_names), bool(verifier_versions)),
    )
    params = {
        **present(
            names=names,
            versions=versions,
            verifier_names=verifier_names,
            verifier_versions=verifier_versions,
        ),
        "everyone": list(set(all_pacticipant_ids)),
        "specified": list(set(specified_pacticipant_ids)),
    }
    return _matrix_rows(session, statement, limit, params, known)


def _described(rows: Any, limited: bool) -> Select[Any]:
    """The rows with their SHA, newest action first, at most ``:limit`` of them.

    Names and version numbers are not joined here: the caller mostly knows them already, and
    on PostgreSQL planning the extra joins costs more than running the whole statement.
    """
    last_action = case(
        (
            and_(
                rows.c.verification_created_at.is_not(None),
                rows.c.verification_created_at > rows.c.pact_created_at,
            ),
            rows.c.verification_created_at,
        ),
        else_=rows.c.pact_created_at,
    )
    query = (
        select(
            rows.c.pact_publication_id,
            rows.c.consumer_id,
            rows.c.consumer_version_id,
            rows.c.provider_id,
            rows.c.pact_version_id,
            PACT_VERSIONS.c.sha,
            rows.c.pact_revision,
            rows.c.pact_created_at,
            rows.c.verification_id,
            rows.c.verification_number,
            rows.c.success,
            rows.c.verified_at,
            rows.c.provider_version_id,
        )
        .select_from(rows)
        .join(PACT_VERSIONS, PACT_VERSIONS.c.id == rows.c.pact_version_id)
        .order_by(
            last_action.desc(), rows.c.pact_publication_id.desc(), rows.c.verification_id.desc()
        )
    )
    return query.limit(bindparam("limit")) if limited else query


@dataclass(frozen=True)
class Known:
    """Pacticipant names and version numbers the caller already has, by id."""

    names: dict[int, str] = field(default_factory=dict)
    numbers: dict[int, str] = field(default_factory=dict)


@cache
def _names_and_numbers(pacticipants: bool, versions: bool) -> Any:
    parts = []
    if pacticipants:
        parts.append(
            select(
                literal("pacticipant").label("kind"), PACTICIPANTS.c.id, PACTICIPANTS.c.name
            ).where(PACTICIPANTS.c.id.in_(ids("pacticipants")))
        )
    if versions:
        parts.append(
            select(literal("version").label("kind"), VERSIONS.c.id, VERSIONS.c.number).where(
                VERSIONS.c.id.in_(ids("versions"))
            )
        )
    return parts[0] if len(parts) == 1 else union_all(*parts)


def _complete(session: Session, rows: Sequence[Any], known: Known) -> Known:
    """``known`` plus the names and numbers the rows need that it lacks (one statement)."""
    pacticipants = {r[1] for r in rows} | {r[3] for r in rows}
    versions = {r[2] for r in rows} | {r[12] for r in rows if r[12] is not None}
    missing_pacticipants = list(pacticipants - known.names.keys())
    missing_versions = list(versions - known.numbers.keys())
    if not missing_pacticipants and not missing_versions:
        return known
    statement = _names_and_numbers(bool(missing_pacticipants), bool(missing_versions))
    params = present(pacticipants=missing_pacticipants, versions=missing_versions)
    names, numbers = dict(known.names), dict(known.numbers)
    for kind, key, value in run(session, statement, **params):
        (names if kind == "pacticipant" else numbers)[key] = value
    return Known(names, numbers)


def _matrix_rows(
    session: Session, statement: Any, limit: int | None, params: dict[str, Any], known: Known
) -> list[MatrixRow]:
    if limit is not None:
        params["limit"] = limit
    rows = run(session, statement, **params)
    known = _complete(session, rows, known)
    names, numbers = known.names, known.numbers
    return [
        MatrixRow(
            pact_publication_id=row[0],
            consumer_id=row[1],
            consumer_name=names[row[1]],
            consumer_version_id=row[2],
            consumer_version_number=numbers[row[2]],
            provider_id=row[3],
            provider_name=names[row[3]],
            pact_version_id=row[4],
            pact_version_sha=row[5],
            pact_revision=row[6],
            pact_created_at=row[7],
            verification_id=row[8],
            verification_number=row[9],
            success=None if row[10] is None else bool(row[10]),
            verified_at=row[11],
            provider_version_id=row[12],
            provider_version_number=None if row[12] is None else numbers[row[12]],
        )
        for row in rows
    ]


# ---------------------------------------------------------------- what the rows show


def version_details(session: Session, version_ids: Iterable[int]) -> dict[int, VersionDetails]:
    """Tags, branches and current environments of these versions, in one statement."""
    ids = list(set(version_ids))
    details = {version_id: VersionDetails() for version_id in ids}
    if not ids:
        return details
    for row in run(session, _details(), ids=ids):
        kind, version_id, name, created_at, head = row[:5]
        found = details[version_id]
        if kind == TAG:
            found.tags.append(TagInfo(name, created_at, version_id == head))
        elif kind == BRANCH:
            found.branches.append(BranchInfo(name, created_at, version_id == head))
        else:
            environment = EnvironmentInfo(row[6], name, *row[7:])
            if environment not in found.environments:
                found.environments.append(environment)
    return details


TAG, BRANCH, ENVIRONMENT = "1 tag", "2 branch", "3 environment"


@cache
def _details() -> Any:
    """One row per tag, branch and current deployment or release of the versions ``:ids``.

    Columns: kind, version id, name, since, head (newest version of the tag or branch), row id,
    then the environment's uuid, display name, production, created and updated. Ordered as the
    Pact Broker lists them: by kind, then oldest first.
    """
    # Typed NULLs: PostgreSQL resolves a UNION's column types pair by pair, from the left.
    some_text: Any = cast_as(null(), String())
    some_flag: Any = cast_as(null(), Boolean())
    some_time: Any = cast_as(null(), DateTime(timezone=True))
    no_environment = (some_text, some_text, some_flag, some_time, some_time)
    environment = (
        ENVIRONMENTS.c.uuid,
        ENVIRONMENTS.c.display_name,
        ENVIRONMENTS.c.production,
        ENVIRONMENTS.c.created_at,
        ENVIRONMENTS.c.updated_at,
    )
    no_head: Any = cast_as(null(), Integer())
    deployed = (
        select(
            literal(ENVIRONMENT).label("kind"),
            DEPLOYED.c.version_id,
            ENVIRONMENTS.c.name,
            DEPLOYED.c.created_at.label("since"),
            no_head.label("head"),
            DEPLOYED.c.id.label("seq"),
            *environment,
        )
        .join(ENVIRONMENTS, ENVIRONMENTS.c.id == DEPLOYED.c.environment_id)
        .where(DEPLOYED.c.version_id.in_(ids("ids")), DEPLOYED.c.undeployed_at.is_(None))
    )
    released = (
        select(
            literal(ENVIRONMENT),
            RELEASED.c.version_id,
            ENVIRONMENTS.c.name,
            RELEASED.c.created_at,
            no_head,
            RELEASED.c.id,
            *environment,
        )
        .join(ENVIRONMENTS, ENVIRONMENTS.c.id == RELEASED.c.environment_id)
        .where(RELEASED.c.version_id.in_(ids("ids")), RELEASED.c.support_ended_at.is_(None))
    )
    newer_tag = TAGS.alias("newer")
    tag_head = (
        select(func.max(newer_tag.c.version_id))
        .where(newer_tag.c.pacticipant_id == TAGS.c.pacticipant_id, newer_tag.c.name == TAGS.c.name)
        .scalar_subquery()
    )
    tags = select(
        literal(TAG), TAGS.c.version_id, TAGS.c.name, TAGS.c.created_at, tag_head, TAGS.c.id,
        *no_environment,
    ).where(TAGS.c.version_id.in_(ids("ids")))  # fmt: skip
    other = BRANCH_VERSIONS.alias("other")
    branch_head = (
        select(func.max(other.c.version_id))
        .where(other.c.branch_id == BRANCH_VERSIONS.c.branch_id)
        .scalar_subquery()
    )
    branches = select(
        literal(BRANCH),
        BRANCH_VERSIONS.c.version_id,
        BRANCH_VERSIONS.c.branch_name,
        BRANCH_VERSIONS.c.created_at,
        branch_head,
        BRANCH_VERSIONS.c.id,
        *no_environment,
    ).where(BRANCH_VERSIONS.c.version_id.in_(ids("ids")))
    # The first SELECT gives the result its column types: the one with every column typed.
    return union_all(deployed, released, tags, branches).order_by("kind", "since", "seq")
