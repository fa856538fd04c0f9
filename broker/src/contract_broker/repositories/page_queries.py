"""Reads only the integration matrix page and the pacticipant page need: branch heads, one
pair's matrix rows, and a pacticipant's pairs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, func, or_, select, union
from sqlalchemy.orm import Session, aliased, load_only, raiseload

from contract_broker.models import (
    Branch,
    Pacticipant,
    PactPublication,
    Verification,
    Version,
)
from contract_broker.repositories._conditions import STILL_DEPLOYED, STILL_SUPPORTED
from contract_broker.repositories._tables import (
    BRANCH_VERSIONS,
    BRANCHES,
    DEPLOYED,
    ENVIRONMENTS,
    PUBLICATIONS,
    RELEASED,
    VERIFICATIONS,
)
from contract_broker.repositories.integrations import newest_verification_of_pair
from contract_broker.repositories.matrix._results import described, matrix_rows
from contract_broker.repositories.matrix.rows import latest_of_its_pair, row_columns
from contract_broker.repositories.matrix.types import Known, MatrixRow

__all__ = [
    "BranchHead",
    "Pair",
    "SideFilter",
    "branch_count",
    "newest_branch_heads",
    "pair_rows",
    "pairs_of",
]


@dataclass(frozen=True)
class BranchHead:
    """A branch and its newest version."""

    branch: str
    version: Version


@dataclass(frozen=True)
class Pair:
    """A consumer/provider pair with at least one pact."""

    consumer_id: int
    consumer_name: str
    provider_id: int
    provider_name: str
    #: The content of the pair's latest pact (newest consumer version, newest revision).
    latest_pact_version_id: int
    #: The pair's newest verification, of whichever pact content (None: never verified).
    latest_verification: Verification | None


def newest_branch_heads(session: Session, pacticipant_id: int, limit: int) -> list[BranchHead]:
    """The branches whose head is newest first, at most ``limit``, each with its head."""
    rows = session.execute(
        select(Branch.name, Version)
        .join(Version, Version.id == Branch.head_version_id)
        .where(Branch.pacticipant_id == pacticipant_id)
        .order_by(Branch.head_version_id.desc(), Branch.id.desc())
        .limit(limit)
    ).all()
    return [BranchHead(name, version) for name, version in rows]


def branch_count(session: Session, pacticipant_id: int) -> int:
    found = session.scalar(
        select(func.count()).select_from(Branch).where(Branch.pacticipant_id == pacticipant_id)
    )
    return int(found or 0)


@dataclass(frozen=True)
class SideFilter:
    """The versions of one side a matrix page shows: on this branch, deployed or released in this
    environment now (None: any)."""

    branch: str | None = None
    environment: str | None = None


def _chosen(version_id: Any, side: str, chosen: tuple[bool, bool]) -> list[ColumnElement[bool]]:
    """``version_id`` is a version of the pacticipant ``:<side>`` on the branch ``:<side>_branch``
    and deployed or released (and supported) in the environment ``:<side>_environment`` now,
    each only when ``chosen`` says so: the version selectors' rules, as subqueries."""
    branch, environment = chosen
    conditions = []
    if branch:
        on_branch = (
            select(BRANCH_VERSIONS.c.version_id)
            .join(BRANCHES, BRANCHES.c.id == BRANCH_VERSIONS.c.branch_id)
            .where(
                BRANCHES.c.pacticipant_id == bindparam(side),
                BRANCHES.c.name == bindparam(f"{side}_branch"),
            )
        )
        conditions.append(version_id.in_(on_branch))
    if environment:
        environment_id = (
            select(ENVIRONMENTS.c.id)
            .where(ENVIRONMENTS.c.name == bindparam(f"{side}_environment"))
            .scalar_subquery()
        )
        deployed = select(DEPLOYED.c.version_id).where(
            DEPLOYED.c.environment_id == environment_id,
            DEPLOYED.c.pacticipant_id == bindparam(side),
            STILL_DEPLOYED,
        )
        released = select(RELEASED.c.version_id).where(
            RELEASED.c.environment_id == environment_id,
            RELEASED.c.pacticipant_id == bindparam(side),
            STILL_SUPPORTED,
        )
        conditions.append(version_id.in_(union(deployed, released)))
    return conditions


@cache
def _pair_rows(consumer: tuple[bool, bool], provider: tuple[bool, bool]) -> Select[Any]:
    publication = PUBLICATIONS.alias("p")
    verification = VERIFICATIONS.alias("v")
    source = (
        select(*row_columns(publication, verification))
        .select_from(publication)
        .outerjoin(
            verification,
            and_(
                verification.c.pact_version_id == publication.c.pact_version_id,
                # cvpv: only the newest verification of a pact content by a provider version.
                latest_of_its_pair(verification),
                *_chosen(verification.c.provider_version_id, "provider", provider),
            ),
        )
        .where(
            publication.c.consumer_id == bindparam("consumer"),
            publication.c.provider_id == bindparam("provider"),
            *_chosen(publication.c.consumer_version_id, "consumer", consumer),
        )
    )
    return described(source.subquery("matrix"), limited=True)


def pair_rows(
    session: Session,
    *,
    consumer: tuple[int, str],
    provider: tuple[int, str],
    consumer_filter: SideFilter,
    provider_filter: SideFilter,
    limit: int,
) -> list[MatrixRow]:
    """The pacts of the consumer ``(id, name)`` with the provider, each with the newest
    verification by each provider version (or none), newest action first, at most ``limit``.

    Only this direction, and only the filtered versions, are read before the limit: the other
    direction (the provider consuming the consumer) or older versions never take its place.
    A pact no provider version matching ``provider_filter`` verified is a row without one.
    """
    params: dict[str, Any] = {"consumer": consumer[0], "provider": provider[0]}
    for side, chosen in (("consumer", consumer_filter), ("provider", provider_filter)):
        if chosen.branch is not None:
            params[f"{side}_branch"] = chosen.branch
        if chosen.environment is not None:
            params[f"{side}_environment"] = chosen.environment
    statement = _pair_rows(
        (consumer_filter.branch is not None, consumer_filter.environment is not None),
        (provider_filter.branch is not None, provider_filter.environment is not None),
    )
    known = Known(names={consumer[0]: consumer[1], provider[0]: provider[1]})
    return matrix_rows(session, statement, limit, params, known)


def pairs_of(session: Session, pacticipant_id: int, limit: int) -> tuple[list[Pair], int]:
    """The pairs the pacticipant is the consumer or the provider of, by the other side's name,
    at most ``limit``, each with its latest pact and latest verification; and how many pairs
    there are. One statement, whatever the number of pairs."""
    consumer = aliased(Pacticipant)
    provider = aliased(Pacticipant)
    newest = aliased(PactPublication)
    pairs = (
        select(
            PactPublication.consumer_id,
            PactPublication.provider_id,
            func.max(PactPublication.consumer_version_id).label("consumer_version_id"),
        )
        .where(
            or_(
                PactPublication.consumer_id == pacticipant_id,
                PactPublication.provider_id == pacticipant_id,
            )
        )
        .group_by(PactPublication.consumer_id, PactPublication.provider_id)
        .subquery()
    )
    latest_publication = (
        select(func.max(newest.id))
        .where(
            newest.consumer_version_id == pairs.c.consumer_version_id,
            newest.provider_id == pairs.c.provider_id,
        )
        .scalar_subquery()
    )
    latest_verification = newest_verification_of_pair(pairs.c.consumer_id, pairs.c.provider_id)
    other = case((consumer.id == pacticipant_id, provider.name), else_=consumer.name)
    rows = session.execute(
        select(
            consumer.id,
            consumer.name,
            provider.id,
            provider.name,
            PactPublication.pact_version_id,
            Verification,
            func.count().over(),
        )
        .select_from(pairs)
        .join(consumer, consumer.id == pairs.c.consumer_id)
        .join(provider, provider.id == pairs.c.provider_id)
        .join(PactPublication, PactPublication.id == latest_publication)
        .outerjoin(Verification, Verification.id == latest_verification)
        .order_by(func.lower(other), other, func.lower(consumer.name), consumer.name)
        .limit(limit)
        # What its status needs (not its testResults); no eagerly joined relationships, which
        # would also drop the pairs never verified.
        .options(load_only(Verification.success, Verification.pact_version_id), raiseload("*"))
    ).all()
    total = rows[0][-1] if rows else 0
    return [Pair(*row[:-1]) for row in rows], int(total)
