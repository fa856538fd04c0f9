"""Queries behind pacts-for-verification: which publications each selector picks.

Each function is one statement whatever the size of the data, built once per shape with bound
parameters (see ``_tables``). The rows carry the consumer version's number and the pact
version's SHA: all a response names, so nothing is looked up again to render it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy import cast as cast_as
from sqlalchemy.orm import Session, aliased

from contract_broker.models import BranchVersion, Pacticipant, PactPublication, Tag, Verification
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
    run,
)

__all__ = [
    "DEPLOYED_KIND",
    "RELEASED_KIND",
    "ProviderVerification",
    "Selected",
    "branch_heads",
    "first_use",
    "in_environment",
    "labels",
    "latest_per_consumer",
    "latest_with_tag",
    "main_branch_heads",
    "provider_and_consumers",
    "provider_verifications",
    "verified_for_branch",
    "wip_candidates",
    "with_tag",
]

DEPLOYED_KIND = "deployed"
RELEASED_KIND = "released"


@dataclass(frozen=True)
class Selected:
    """A publication a selector picked.

    ``branch``/``tag``: the branch or tag it is the head of; ``environment``: where its
    version is ``deployment`` (``DEPLOYED_KIND`` or ``RELEASED_KIND``).
    """

    publication_id: int
    consumer_id: int
    consumer_version_id: int
    pact_version_id: int
    created_at: datetime
    branch: str | None = None
    tag: str | None = None
    environment: str | None = None
    deployment: str | None = None


_COLUMNS = (
    PUBLICATIONS.c.id,
    PUBLICATIONS.c.consumer_id,
    PUBLICATIONS.c.consumer_version_id,
    PUBLICATIONS.c.pact_version_id,
    PUBLICATIONS.c.created_at,
)
_LABEL = len(_COLUMNS)  # the index of the extra column: branch, tag or environment


def _selected(row: Any, **found: str | None) -> Selected:
    """A row of ``_COLUMNS`` (and extra columns after them), with what the extra ones say."""
    return Selected(row[0], row[1], row[2], row[3], row[4], **found)


def _scope(query: Select[Any], scoped: bool) -> Select[Any]:
    """Publications for the provider ``:provider`` (by the consumers ``:consumers`` if scoped)."""
    query = query.where(PUBLICATIONS.c.provider_id == bindparam("provider"))
    if scoped:
        query = query.where(PUBLICATIONS.c.consumer_id.in_(ids("consumers")))
    return query


def _select(
    session: Session,
    statement: Any,
    provider_id: int,
    consumer_ids: Iterable[int] | None,
    **params: Any,
) -> list[Any]:
    if consumer_ids is not None:
        params["consumers"] = list(set(consumer_ids))
    return list(run(session, statement, provider=provider_id, **params))


def provider_and_consumers(
    session: Session, provider_name: str
) -> tuple[Pacticipant | None, list[Pacticipant]]:
    """The provider with this name and the consumers that published pacts for it.

    Two statements: folded into one (``name = :name OR EXISTS (...)``), PostgreSQL sometimes
    planned the EXISTS as a scan of every publication (150 ms instead of 0.3).
    """
    provider = session.scalar(select(Pacticipant).where(Pacticipant.name == provider_name))
    if provider is None:
        return None, []
    # One probe of the (provider_id, consumer_id, ...) index per pacticipant, instead of reading
    # every publication of the provider to find the distinct consumers.
    published = exists().where(
        PactPublication.provider_id == provider.id,
        PactPublication.consumer_id == Pacticipant.id,
    )
    return provider, list(session.scalars(select(Pacticipant).where(published)))


def _head(column: Any) -> Any:
    """A branch's stored head, as an expression no index can serve: the planner then starts
    from the branches (few, each with one head) and probes the publications' unique index,
    instead of reading every publication of the provider and probing the branches (SQLite,
    which has no statistics, would)."""
    return column + 0


@cache
def _branch_heads(scoped: bool, main: bool) -> Select[Any]:
    query = select(*_COLUMNS, BRANCHES.c.name).select_from(BRANCHES)
    if main:
        query = query.join(
            PACTICIPANTS,
            and_(
                PACTICIPANTS.c.id == BRANCHES.c.pacticipant_id,
                PACTICIPANTS.c.main_branch == BRANCHES.c.name,
            ),
        )
    else:
        query = query.where(BRANCHES.c.name == bindparam("branch"))
    query = query.join(
        PUBLICATIONS, PUBLICATIONS.c.consumer_version_id == _head(BRANCHES.c.head_version_id)
    )
    return _scope(query, scoped)


def branch_heads(
    session: Session, provider_id: int, branch: str, consumer_ids: Iterable[int] | None
) -> list[Selected]:
    """The pact of each consumer's head version of ``branch`` (none if the head has no pact)."""
    statement = _branch_heads(consumer_ids is not None, main=False)
    rows = _select(session, statement, provider_id, consumer_ids, branch=branch)
    return [_selected(row, branch=branch) for row in rows]


def main_branch_heads(
    session: Session, provider_id: int, consumer_ids: Iterable[int] | None
) -> list[Selected]:
    """The pact of the head of each consumer's main branch."""
    statement = _branch_heads(consumer_ids is not None, main=True)
    rows = _select(session, statement, provider_id, consumer_ids)
    return [_selected(row, branch=row[_LABEL]) for row in rows]


@cache
def _latest(scoped: bool, tagged: bool) -> Select[Any]:
    """Each consumer's newest publication (with a version tagged ``:tag`` when ``tagged``)."""
    latest = select(func.max(PUBLICATIONS.c.consumer_version_id).label("latest"))
    if tagged:
        latest = latest.join(TAGS, TAGS.c.version_id == PUBLICATIONS.c.consumer_version_id).where(
            TAGS.c.name == bindparam("tag")
        )
    newest = _scope(latest, scoped).group_by(PUBLICATIONS.c.consumer_id).subquery()
    query = (
        select(*_COLUMNS)
        .select_from(PUBLICATIONS)
        .join(newest, newest.c.latest == PUBLICATIONS.c.consumer_version_id)
    )
    return _scope(query, scoped)


def latest_with_tag(
    session: Session, provider_id: int, tag: str, consumer_ids: Iterable[int] | None
) -> list[Selected]:
    """The pact of each consumer's latest version tagged ``tag`` that has a pact with it."""
    statement = _latest(consumer_ids is not None, tagged=True)
    rows = _select(session, statement, provider_id, consumer_ids, tag=tag)
    return [_selected(row, tag=tag) for row in rows]


def latest_per_consumer(
    session: Session, provider_id: int, consumer_ids: Iterable[int] | None
) -> list[Selected]:
    """The newest pact of each consumer with this provider."""
    statement = _latest(consumer_ids is not None, tagged=False)
    return [_selected(row) for row in _select(session, statement, provider_id, consumer_ids)]


@cache
def _with_tag(scoped: bool) -> Select[Any]:
    query = (
        select(*_COLUMNS)
        .select_from(PUBLICATIONS)
        .join(TAGS, TAGS.c.version_id == PUBLICATIONS.c.consumer_version_id)
        .where(TAGS.c.name == bindparam("tag"))
    )
    return _scope(query, scoped)


def with_tag(
    session: Session, provider_id: int, tag: str, consumer_ids: Iterable[int] | None
) -> list[Selected]:
    """The pacts of every version tagged ``tag``."""
    rows = _select(session, _with_tag(consumer_ids is not None), provider_id, consumer_ids, tag=tag)
    return [_selected(row, tag=tag) for row in rows]


@cache
def _in_environment(scoped: bool, kinds: tuple[str, ...], one_environment: bool) -> Any:
    parts = []
    for kind in kinds:
        table, ended = (
            (DEPLOYED, DEPLOYED.c.undeployed_at)
            if kind == DEPLOYED_KIND
            else (RELEASED, RELEASED.c.support_ended_at)
        )
        query = (
            select(*_COLUMNS, ENVIRONMENTS.c.name, literal(kind, String).label("kind"))
            .select_from(PUBLICATIONS)
            .join(table, table.c.version_id == PUBLICATIONS.c.consumer_version_id)
            .join(ENVIRONMENTS, ENVIRONMENTS.c.id == table.c.environment_id)
            .where(ended.is_(None))
        )
        if one_environment:
            query = query.where(table.c.environment_id == bindparam("environment"))
        parts.append(_scope(query, scoped))
    return parts[0] if len(parts) == 1 else union_all(*parts)


def in_environment(
    session: Session,
    provider_id: int,
    consumer_ids: Iterable[int] | None,
    *,
    environment_id: int | None,
    deployed: bool,
    released: bool,
) -> list[Selected]:
    """Pacts of consumer versions currently deployed and/or released (in one or any
    environment): those deployed first, then those released."""
    kinds = tuple(
        kind for kind, wanted in ((DEPLOYED_KIND, deployed), (RELEASED_KIND, released)) if wanted
    )
    if not kinds:
        return []
    params = {} if environment_id is None else {"environment": environment_id}
    statement = _in_environment(consumer_ids is not None, kinds, environment_id is not None)
    rows = _select(session, statement, provider_id, consumer_ids, **params)
    found = [_selected(row, environment=row[_LABEL], deployment=row[_LABEL + 1]) for row in rows]
    # A stable sort: the order of a UNION ALL's parts is the database's choice.
    return sorted(found, key=lambda s: kinds.index(s.deployment or ""))


@cache
def _wip_candidates() -> Any:
    since = (
        PUBLICATIONS.c.provider_id == bindparam("provider"),
        PUBLICATIONS.c.created_at >= bindparam("since"),
    )
    # Branch heads: the stored head, for each publication since the date.
    branch_heads = (
        select(*_COLUMNS, BRANCHES.c.name, cast_as(null(), String).label("tag"))
        .join(BRANCHES, BRANCHES.c.head_version_id == PUBLICATIONS.c.consumer_version_id)
        .where(*since)
    )
    # Tag heads: no newer version of the pacticipant has the tag (one probe of the tags'
    # (pacticipant, name, version) index per tagged publication since the date).
    newer = aliased(TAGS)
    tag_heads = (
        select(*_COLUMNS, cast_as(null(), String).label("branch"), TAGS.c.name)
        .join(TAGS, TAGS.c.version_id == PUBLICATIONS.c.consumer_version_id)
        .where(
            *since,
            ~exists().where(
                newer.c.pacticipant_id == TAGS.c.pacticipant_id,
                newer.c.name == TAGS.c.name,
                newer.c.version_id > TAGS.c.version_id,
            ),
        )
    )
    return union_all(branch_heads, tag_heads)


def wip_candidates(session: Session, provider_id: int, since: datetime) -> list[Selected]:
    """Pacts of every consumer branch head and tag head (the pacticipant's latest version with
    the tag), published for this provider since ``since``."""
    rows = run(session, _wip_candidates(), provider=provider_id, since=since)
    return [_selected(row, branch=row[_LABEL], tag=row[_LABEL + 1]) for row in rows]


@cache
def _labels() -> Select[Any]:
    return (
        select(PUBLICATIONS.c.id, VERSIONS.c.number, PACT_VERSIONS.c.sha)
        .join(VERSIONS, VERSIONS.c.id == PUBLICATIONS.c.consumer_version_id)
        .join(PACT_VERSIONS, PACT_VERSIONS.c.id == PUBLICATIONS.c.pact_version_id)
        .where(PUBLICATIONS.c.id.in_(ids("ids")))
    )


def labels(session: Session, publication_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """``{publication id: (consumer version number, pact version SHA)}``: what a response names
    the pacts it lists by, for the few chosen (probes by primary key)."""
    wanted = list(set(publication_ids))
    if not wanted:
        return {}
    return {row[0]: (row[1], row[2]) for row in run(session, _labels(), ids=wanted)}


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


@cache
def _verified_for_branch() -> Select[Any]:
    # When the provider's branch was created (NULL: it does not exist, so any time counts).
    created = (
        select(BRANCHES.c.created_at)
        .where(
            BRANCHES.c.pacticipant_id == bindparam("provider"),
            BRANCHES.c.name == bindparam("branch"),
        )
        .scalar_subquery()
    )

    def success(*, on_branch: bool, non_wip: bool) -> ColumnElement[bool]:
        member = aliased(BRANCH_VERSIONS)
        conditions: list[ColumnElement[bool]] = [
            VERIFICATIONS.c.pact_version_id == PACT_VERSIONS.c.id,
            VERIFICATIONS.c.success.is_(True),
            member.c.version_id == VERIFICATIONS.c.provider_version_id,
        ]
        if on_branch:
            conditions.append(member.c.branch_name == bindparam("branch"))
        else:
            conditions.append(member.c.branch_name != bindparam("branch"))
            conditions.append(created.is_(None) | (VERIFICATIONS.c.created_at < created))
        if non_wip:
            conditions.append(VERIFICATIONS.c.wip.is_not(True))
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
    # An expanding IN, not one array parameter: with "= ANY(:ids)" the statement's text is
    # the same for any number of ids, and after five runs PostgreSQL may switch to a generic
    # plan made without knowing how many: it read every verification (160 ms instead of 2).
    return select(PACT_VERSIONS.c.id, verdict).where(PACT_VERSIONS.c.id.in_(ids("ids")))


def verified_for_branch(
    session: Session, pact_version_ids: Iterable[int], *, provider_id: int, branch: str
) -> dict[int, int]:
    """For each pact version: whether the provider's ``branch`` counts as having verified it.

    ``is_pending``'s rule for a provider branch, decided by the database with probes that stop
    at the first match instead of returning every success: a success by a provider version on
    ``branch``, or on another branch before ``branch`` was created (any time, if it does not
    exist). 0: not verified, ``VERIFIED_WITH_WIP``: only by WIP verifications, ``VERIFIED``: by
    a non-WIP one.
    """
    wanted = list(set(pact_version_ids))
    if not wanted:
        return {}
    rows = run(session, _verified_for_branch(), ids=wanted, provider=provider_id, branch=branch)
    found: dict[int, int] = dict.fromkeys(wanted, 0)
    found.update({row[0]: row[1] for row in rows})
    return found


def first_use(session: Session, provider_id: int, *, tag: str) -> datetime | None:
    """When the provider first used ``tag`` (None: never)."""
    return session.scalar(
        select(func.min(Tag.created_at)).where(Tag.pacticipant_id == provider_id, Tag.name == tag)
    )
