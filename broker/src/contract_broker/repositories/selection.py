"""Queries behind pacts-for-verification: which publications each selector picks.

Each function returns ``Selected`` rows (publication ids and what they point to), one query per
call, whatever the size of the data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, literal, select
from sqlalchemy.orm import Session, aliased

from contract_broker.models import (
    Branch,
    BranchVersion,
    DeployedVersion,
    Environment,
    Pacticipant,
    PactPublication,
    PactVersion,
    ReleasedVersion,
    Tag,
    Verification,
)

__all__ = [
    "ProviderVerification",
    "Selected",
    "branch_heads",
    "branch_heads_since",
    "consumers_of",
    "first_use",
    "in_environment",
    "latest_per_consumer",
    "latest_with_tag",
    "main_branch_heads",
    "provider_verifications",
    "tag_heads_since",
    "verified_for_branch",
    "with_tag",
]


@dataclass(frozen=True)
class Selected:
    publication_id: int
    consumer_id: int
    consumer_version_id: int
    pact_version_id: int
    created_at: datetime
    branch: str | None = None
    tag: str | None = None
    environment: str | None = None


_COLUMNS = (
    PactPublication.id,
    PactPublication.consumer_id,
    PactPublication.consumer_version_id,
    PactPublication.pact_version_id,
    PactPublication.created_at,
)


def _selected(
    row: Any, *, branch: str | None = None, tag: str | None = None, environment: str | None = None
) -> Selected:
    return Selected(
        row[0], row[1], row[2], row[3], row[4], branch=branch, tag=tag, environment=environment
    )


def _rows(
    session: Session, query: Select[Any], *, branch: str | None = None, tag: str | None = None
) -> list[Selected]:
    return [_selected(row, branch=branch, tag=tag) for row in session.execute(query)]


def _scope(query: Select, provider_id: int, consumer_ids: Iterable[int] | None) -> Select:  # type: ignore[type-arg]
    query = query.where(PactPublication.provider_id == provider_id)
    if consumer_ids is not None:
        query = query.where(PactPublication.consumer_id.in_(set(consumer_ids)))
    return query


def consumers_of(session: Session, provider_id: int) -> Sequence[Pacticipant]:
    """The consumers that published pacts for this provider."""
    # One probe of the (provider_id, consumer_id, ...) index per pacticipant, instead of reading
    # every publication of the provider to find the distinct consumers.
    published = exists().where(
        PactPublication.provider_id == provider_id,
        PactPublication.consumer_id == Pacticipant.id,
    )
    return session.scalars(select(Pacticipant).where(published)).all()


def _head(branch: type[Branch]) -> Any:
    """The branch's stored head, as an expression no index can serve: the planner then starts
    from the branches (few, each with one head) and probes the publications' unique index,
    instead of reading every publication of the provider and probing the branches (SQLite,
    which has no statistics, would)."""
    return branch.head_version_id + 0


def branch_heads(
    session: Session, provider_id: int, branch: str, consumer_ids: Iterable[int] | None
) -> list[Selected]:
    """The pact of each consumer's head version of ``branch`` (none if the head has no pact)."""
    query = (
        select(*_COLUMNS)
        .select_from(Branch)
        .join(PactPublication, PactPublication.consumer_version_id == _head(Branch))
        .where(Branch.name == branch)
    )
    return _rows(session, _scope(query, provider_id, consumer_ids), branch=branch)


def main_branch_heads(
    session: Session, provider_id: int, consumer_ids: Iterable[int] | None
) -> list[Selected]:
    """The pact of the head of each consumer's main branch."""
    query = (
        select(*_COLUMNS, Branch.name)
        .select_from(Branch)
        .join(
            Pacticipant,
            and_(Pacticipant.id == Branch.pacticipant_id, Pacticipant.main_branch == Branch.name),
        )
        .join(PactPublication, PactPublication.consumer_version_id == _head(Branch))
    )
    query = _scope(query, provider_id, consumer_ids)
    return [_selected(row, branch=row[5]) for row in session.execute(query)]


def latest_with_tag(
    session: Session, provider_id: int, tag: str, consumer_ids: Iterable[int] | None
) -> list[Selected]:
    """The pact of each consumer's latest version tagged ``tag`` that has a pact with it."""
    latest = (
        _scope(
            select(func.max(PactPublication.consumer_version_id).label("latest"))
            .join(Tag, Tag.version_id == PactPublication.consumer_version_id)
            .where(Tag.name == tag),
            provider_id,
            consumer_ids,
        )
        .group_by(PactPublication.consumer_id)
        .subquery()
    )
    query = select(*_COLUMNS).join(latest, latest.c.latest == PactPublication.consumer_version_id)
    return _rows(session, _scope(query, provider_id, consumer_ids), tag=tag)


def with_tag(
    session: Session, provider_id: int, tag: str, consumer_ids: Iterable[int] | None
) -> list[Selected]:
    """The pacts of every version tagged ``tag``."""
    query = select(*_COLUMNS).join(Tag, Tag.version_id == PactPublication.consumer_version_id)
    return _rows(session, _scope(query.where(Tag.name == tag), provider_id, consumer_ids), tag=tag)


def latest_per_consumer(
    session: Session, provider_id: int, consumer_ids: Iterable[int] | None
) -> list[Selected]:
    """The newest pact of each consumer with this provider."""
    latest = (
        _scope(
            select(func.max(PactPublication.consumer_version_id).label("latest")),
            provider_id,
            consumer_ids,
        )
        .group_by(PactPublication.consumer_id)
        .subquery()
    )
    query = select(*_COLUMNS).join(latest, latest.c.latest == PactPublication.consumer_version_id)
    return _rows(session, _scope(query, provider_id, consumer_ids))


def in_environment(
    session: Session,
    provider_id: int,
    consumer_ids: Iterable[int] | None,
    *,
    environment_id: int | None,
    deployed: bool,
    released: bool,
) -> list[Selected]:
    """Pacts of consumer versions currently deployed and/or released (in one or any env)."""
    # (table, column that is null while the version is current) for each kind asked for.
    kinds: list[tuple[type[DeployedVersion] | type[ReleasedVersion], Any]] = []
    if deployed:
        kinds.append((DeployedVersion, DeployedVersion.undeployed_at))
    if released:
        kinds.append((ReleasedVersion, ReleasedVersion.support_ended_at))
    found: list[Selected] = []
    for table, ended in kinds:
        query = (
            select(*_COLUMNS, Environment.name)
            .join(table, table.version_id == PactPublication.consumer_version_id)
            .join(Environment, Environment.id == table.environment_id)
            .where(ended.is_(None))
        )
        if environment_id is not None:
            query = query.where(table.environment_id == environment_id)
        found += [
            _selected(row, environment=row[5])
            for row in session.execute(_scope(query, provider_id, consumer_ids))
        ]
    return found


def branch_heads_since(session: Session, provider_id: int, since: datetime) -> list[Selected]:
    """WIP candidates: pacts of every consumer branch head, published since ``since``."""
    # The stored head: one probe of a small index per publication since the date.
    query = (
        select(*_COLUMNS, Branch.name)
        .join(Branch, Branch.head_version_id == PactPublication.consumer_version_id)
        .where(PactPublication.provider_id == provider_id, PactPublication.created_at >= since)
    )
    return [_selected(row, branch=row[5]) for row in session.execute(query)]


def tag_heads_since(session: Session, provider_id: int, since: datetime) -> list[Selected]:
    """WIP candidates: pacts of each consumer's latest version of every tag, since ``since``."""
    heads = (
        select(func.max(Tag.version_id).label("head"), Tag.name.label("tag"))
        .group_by(Tag.pacticipant_id, Tag.name)
        .subquery()
    )
    query = (
        select(*_COLUMNS, heads.c.tag)
        .join(heads, heads.c.head == PactPublication.consumer_version_id)
        .where(PactPublication.provider_id == provider_id, PactPublication.created_at >= since)
    )
    return [_selected(row, tag=row[5]) for row in session.execute(query)]


@dataclass(frozen=True)
class ProviderVerification:
    """A successful (or failed) verification, with the provider version's branches and tags."""

    pact_version_id: int
    success: bool
    wip: bool
    created_at: datetime
    branches: frozenset[str]
    tags: frozenset[str]


def provider_verifications(
    session: Session, pact_version_ids: Iterable[int], *, with_tags: bool = False
) -> dict[int, list[ProviderVerification]]:
    """Successful verifications of these pact versions, aggregated by the database.

    One entry per (pact version, WIP or not, provider branch) with the first such success — all
    the pending rules need — and, with ``with_tags``, the same per provider version tag.
    """
    ids = set(pact_version_ids)
    result: dict[int, list[ProviderVerification]] = {i: [] for i in ids}
    if not ids:
        return result
    successes = (Verification.pact_version_id.in_(ids), Verification.success.is_(True))
    by_branch = (
        select(
            Verification.pact_version_id,
            Verification.wip,
            BranchVersion.branch_name,
            func.min(Verification.created_at),
        )
        .outerjoin(BranchVersion, BranchVersion.version_id == Verification.provider_version_id)
        .where(*successes)
        .group_by(Verification.pact_version_id, Verification.wip, BranchVersion.branch_name)
    )
    for pact_version_id, wip, branch, created_at in session.connection().execute(by_branch):
        names = frozenset() if branch is None else frozenset({branch})
        result[pact_version_id].append(
            ProviderVerification(pact_version_id, True, bool(wip), created_at, names, frozenset())
        )
    if with_tags:
        by_tag = (
            select(
                Verification.pact_version_id,
                Verification.wip,
                Tag.name,
                func.min(Verification.created_at),
            )
            .join(Tag, Tag.version_id == Verification.provider_version_id)
            .where(*successes)
            .group_by(Verification.pact_version_id, Verification.wip, Tag.name)
        )
        for pact_version_id, wip, tag, created_at in session.connection().execute(by_tag):
            result[pact_version_id].append(
                ProviderVerification(
                    pact_version_id, True, bool(wip), created_at, frozenset(), frozenset({tag})
                )
            )
    return result


VERIFIED_WITH_WIP = 1
"""``verified_for_branch``: verified only when WIP verifications count."""
VERIFIED = 2
"""``verified_for_branch``: verified by a non-WIP verification (so also when WIP ones count)."""


def verified_for_branch(
    session: Session,
    pact_version_ids: Iterable[int],
    *,
    branch: str,
    branch_created: datetime | None,
) -> dict[int, int]:
    """For each pact version: whether the provider's ``branch`` counts as having verified it.

    ``is_pending``'s rule for a provider branch, decided by the database with probes that stop
    at the first match instead of returning every success: a success by a provider version on
    ``branch``, or on another branch before ``branch_created`` (when the branch was created;
    None: it does not exist, so any time). 0: not verified, ``VERIFIED_WITH_WIP``: only by WIP
    verifications, ``VERIFIED``: by a non-WIP one.
    """
    ids = set(pact_version_ids)
    if not ids:
        return {}

    def success(*, on_branch: bool, non_wip: bool) -> ColumnElement[bool]:
        member = aliased(BranchVersion)
        conditions: list[ColumnElement[bool]] = [
            Verification.pact_version_id == PactVersion.id,
            Verification.success.is_(True),
            member.version_id == Verification.provider_version_id,
        ]
        if on_branch:
            conditions.append(member.branch_name == branch)
        else:
            conditions.append(member.branch_name != branch)
            if branch_created is not None:
                conditions.append(Verification.created_at < branch_created)
        if non_wip:
            conditions.append(Verification.wip.is_not(True))
        # A first-row probe rather than EXISTS, which PostgreSQL also costs as a hashed scan of
        # every verification: a plan that expensive on paper gets JIT-compiled (20 ms).
        return select(literal(1)).where(*conditions).limit(1).scalar_subquery().is_not(None)

    # CASE stops at the first true condition: a pact version verified on the branch costs one
    # probe or two.
    verdict = case(
        (success(on_branch=True, non_wip=True), VERIFIED),
        (success(on_branch=False, non_wip=True), VERIFIED),
        (success(on_branch=True, non_wip=False), VERIFIED_WITH_WIP),
        (success(on_branch=False, non_wip=False), VERIFIED_WITH_WIP),
        else_=0,
    )
    query = select(PactVersion.id, verdict).where(PactVersion.id.in_(ids))
    found: dict[int, int] = dict.fromkeys(ids, 0)
    found.update({row[0]: row[1] for row in session.execute(query)})
    return found


def first_use(
    session: Session, provider_id: int, *, branch: str | None = None, tag: str | None = None
) -> datetime | None:
    """When the provider's branch was created, or its tag first used (None: never)."""
    if branch is not None:
        return session.scalar(
            select(Branch.created_at).where(
                Branch.pacticipant_id == provider_id, Branch.name == branch
            )
        )
    return session.scalar(
        select(func.min(Tag.created_at)).where(Tag.pacticipant_id == provider_id, Tag.name == tag)
    )
