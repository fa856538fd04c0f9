"""The selector statements: branch heads, latest (tagged) pacts, tags, environments, WIP heads."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, String, bindparam, exists, func, literal, null, select, union_all
from sqlalchemy import cast as cast_as
from sqlalchemy.orm import Session, aliased

from contract_broker.repositories._conditions import (
    STILL_DEPLOYED,
    STILL_SUPPORTED,
    on_branch_or_main,
)
from contract_broker.repositories._tables import (
    BRANCHES,
    DEPLOYED,
    ENVIRONMENTS,
    PUBLICATIONS,
    RELEASED,
    TAGS,
    run,
)
from contract_broker.repositories.selection.selected import (
    COLUMNS,
    DEPLOYED_KIND,
    LABEL,
    RELEASED_KIND,
    Selected,
    as_selected,
    run_scoped,
    scope,
)

__all__ = [
    "branch_heads",
    "in_environment",
    "latest_per_consumer",
    "latest_with_tag",
    "main_branch_heads",
    "wip_candidates",
    "with_tag",
]


def _head(column: Any) -> Any:
    """A branch's stored head, as an expression no index can serve: the planner then starts
    from the branches (few, each with one head) and probes the publications' unique index,
    instead of reading every publication of the provider and probing the branches (SQLite,
    which has no statistics, would)."""
    return column + 0


@cache
def _branch_heads(scoped: bool, main: bool) -> Select[Any]:
    query = on_branch_or_main(select(*COLUMNS, BRANCHES.c.name).select_from(BRANCHES), main=main)
    query = query.join(
        PUBLICATIONS, PUBLICATIONS.c.consumer_version_id == _head(BRANCHES.c.head_version_id)
    )
    return scope(query, scoped)


def branch_heads(
    session: Session, provider_id: int, branch: str, consumer_ids: Iterable[int] | None
) -> list[Selected]:
    """The pact of each consumer's head version of ``branch`` (none if the head has no pact)."""
    statement = _branch_heads(consumer_ids is not None, main=False)
    rows = run_scoped(session, statement, provider_id, consumer_ids, branch=branch)
    return [as_selected(row, branch=branch) for row in rows]


def main_branch_heads(
    session: Session, provider_id: int, consumer_ids: Iterable[int] | None
) -> list[Selected]:
    """The pact of the head of each consumer's main branch."""
    statement = _branch_heads(consumer_ids is not None, main=True)
    rows = run_scoped(session, statement, provider_id, consumer_ids)
    return [as_selected(row, branch=row[LABEL]) for row in rows]


@cache
def _latest(scoped: bool, tagged: bool) -> Select[Any]:
    """Each consumer's newest publication (with a version tagged ``:tag`` when ``tagged``)."""
    latest = select(func.max(PUBLICATIONS.c.consumer_version_id).label("latest"))
    if tagged:
        latest = latest.join(TAGS, TAGS.c.version_id == PUBLICATIONS.c.consumer_version_id).where(
            TAGS.c.name == bindparam("tag")
        )
    newest = scope(latest, scoped).group_by(PUBLICATIONS.c.consumer_id).subquery()
    query = (
        select(*COLUMNS)
        .select_from(PUBLICATIONS)
        .join(newest, newest.c.latest == PUBLICATIONS.c.consumer_version_id)
    )
    return scope(query, scoped)


def latest_with_tag(
    session: Session, provider_id: int, tag: str, consumer_ids: Iterable[int] | None
) -> list[Selected]:
    """The pact of each consumer's latest version tagged ``tag`` that has a pact with it."""
    statement = _latest(consumer_ids is not None, tagged=True)
    rows = run_scoped(session, statement, provider_id, consumer_ids, tag=tag)
    return [as_selected(row, tag=tag) for row in rows]


def latest_per_consumer(
    session: Session, provider_id: int, consumer_ids: Iterable[int] | None
) -> list[Selected]:
    """The newest pact of each consumer with this provider."""
    statement = _latest(consumer_ids is not None, tagged=False)
    return [as_selected(row) for row in run_scoped(session, statement, provider_id, consumer_ids)]


@cache
def _with_tag(scoped: bool) -> Select[Any]:
    query = (
        select(*COLUMNS)
        .select_from(PUBLICATIONS)
        .join(TAGS, TAGS.c.version_id == PUBLICATIONS.c.consumer_version_id)
        .where(TAGS.c.name == bindparam("tag"))
    )
    return scope(query, scoped)


def with_tag(
    session: Session, provider_id: int, tag: str, consumer_ids: Iterable[int] | None
) -> list[Selected]:
    """The pacts of every version tagged ``tag``."""
    rows = run_scoped(
        session, _with_tag(consumer_ids is not None), provider_id, consumer_ids, tag=tag
    )
    return [as_selected(row, tag=tag) for row in rows]


@cache
def _in_environment(scoped: bool, kinds: tuple[str, ...], one_environment: bool) -> Any:
    parts = []
    for kind in kinds:
        table, current = (
            (DEPLOYED, STILL_DEPLOYED) if kind == DEPLOYED_KIND else (RELEASED, STILL_SUPPORTED)
        )
        query = (
            select(*COLUMNS, ENVIRONMENTS.c.name, literal(kind, String).label("kind"))
            .select_from(PUBLICATIONS)
            .join(table, table.c.version_id == PUBLICATIONS.c.consumer_version_id)
            .join(ENVIRONMENTS, ENVIRONMENTS.c.id == table.c.environment_id)
            .where(current)
        )
        if one_environment:
            query = query.where(table.c.environment_id == bindparam("environment"))
        parts.append(scope(query, scoped))
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
    rows = run_scoped(session, statement, provider_id, consumer_ids, **params)
    found = [as_selected(row, environment=row[LABEL], deployment=row[LABEL + 1]) for row in rows]
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
        select(*COLUMNS, BRANCHES.c.name, cast_as(null(), String).label("tag"))
        .join(BRANCHES, BRANCHES.c.head_version_id == PUBLICATIONS.c.consumer_version_id)
        .where(*since)
    )
    # Tag heads: no newer version of the pacticipant has the tag (one probe of the tags'
    # (pacticipant, name, version) index per tagged publication since the date).
    newer = aliased(TAGS)
    tag_heads = (
        select(*COLUMNS, cast_as(null(), String).label("branch"), TAGS.c.name)
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
    return [as_selected(row, branch=row[LABEL], tag=row[LABEL + 1]) for row in rows]
