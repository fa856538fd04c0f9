"""Pact versions (distinct content) and pact publications (a consumer version's pact)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from contract_broker.models import (
    BranchVersion,
    Pacticipant,
    PactPublication,
    PactVersion,
    Tag,
)

__all__ = [
    "find_pact_version",
    "find_pact_versions",
    "find_publication",
    "latest_publication",
    "latest_publication_for_branch",
    "latest_publication_with_tag",
    "latest_publications_per_integration",
    "latest_sha",
    "latest_untagged_publication",
    "lock_publication",
    "previous_distinct_publication",
    "publications_for_consumer_branch",
    "publications_for_provider",
    "publications_of_pact_version",
    "publications_of_pair",
    "stored_pacts_of_version",
]


def find_pact_version(
    session: Session, consumer_id: int, provider_id: int, sha: str
) -> PactVersion | None:
    return session.scalar(
        select(PactVersion).where(
            PactVersion.consumer_id == consumer_id,
            PactVersion.provider_id == provider_id,
            PactVersion.sha == sha,
        )
    )


def find_pact_versions(session: Session, ids: Iterable[int]) -> dict[int, PactVersion]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {p.id: p for p in session.scalars(select(PactVersion).where(PactVersion.id.in_(wanted)))}


def find_publication(
    session: Session, consumer_version_id: int, provider_id: int
) -> PactPublication | None:
    return session.scalar(
        select(PactPublication).where(
            PactPublication.consumer_version_id == consumer_version_id,
            PactPublication.provider_id == provider_id,
        )
    )


def stored_pacts_of_version(
    session: Session, consumer_version_id: int
) -> dict[int, tuple[PactPublication, PactVersion]]:
    """``{provider id: (publication, its content)}`` for what a consumer version published."""
    rows = session.execute(
        select(PactPublication, PactVersion)
        .join(PactVersion, PactVersion.id == PactPublication.pact_version_id)
        .where(PactPublication.consumer_version_id == consumer_version_id)
    ).all()
    return {publication.provider_id: (publication, content) for publication, content in rows}


def lock_publication(session: Session, publication_id: int) -> tuple[PactPublication, PactVersion]:
    """The publication, locked until the transaction ends (re-read: it may have changed)."""
    publication = session.scalars(
        select(PactPublication)
        .where(PactPublication.id == publication_id)
        .with_for_update(of=PactPublication)
        .execution_options(populate_existing=True)
    ).one()
    content = session.scalars(
        select(PactVersion).where(PactVersion.id == publication.pact_version_id)
    ).one()
    return publication, content


def latest_sha(session: Session, consumer_id: int, provider_id: int) -> str | None:
    """The content SHA of the newest pact between the two, if any."""
    return session.scalar(
        select(PactVersion.sha)
        .join(PactPublication, PactPublication.pact_version_id == PactVersion.id)
        .where(
            PactPublication.consumer_id == consumer_id, PactPublication.provider_id == provider_id
        )
        .order_by(PactPublication.consumer_version_id.desc())
        .limit(1)
    )


def latest_publication(
    session: Session, consumer_id: int, provider_id: int
) -> PactPublication | None:
    return session.scalar(
        select(PactPublication)
        .where(
            PactPublication.consumer_id == consumer_id, PactPublication.provider_id == provider_id
        )
        .order_by(PactPublication.consumer_version_id.desc())
        .limit(1)
    )


def latest_untagged_publication(
    session: Session, consumer_id: int, provider_id: int
) -> PactPublication | None:
    """The newest pact of the pair published by a consumer version without tags."""
    tagged = select(Tag.version_id).where(Tag.pacticipant_id == consumer_id)
    return session.scalar(
        select(PactPublication)
        .where(
            PactPublication.consumer_id == consumer_id,
            PactPublication.provider_id == provider_id,
            PactPublication.consumer_version_id.not_in(tagged),
        )
        .order_by(PactPublication.consumer_version_id.desc())
        .limit(1)
    )


def publications_of_pair(
    session: Session, consumer_id: int, provider_id: int, limit: int = 100
) -> Sequence[PactPublication]:
    """The pair's pacts, newest first."""
    return session.scalars(
        select(PactPublication)
        .where(
            PactPublication.consumer_id == consumer_id, PactPublication.provider_id == provider_id
        )
        .order_by(PactPublication.consumer_version_id.desc())
        .limit(limit)
    ).all()


def latest_publication_with_tag(
    session: Session, consumer_id: int, provider_id: int, tag: str
) -> PactPublication | None:
    return session.scalar(
        select(PactPublication)
        .join(Tag, Tag.version_id == PactPublication.consumer_version_id)
        .where(
            PactPublication.consumer_id == consumer_id,
            PactPublication.provider_id == provider_id,
            Tag.name == tag,
        )
        .order_by(PactPublication.consumer_version_id.desc())
        .limit(1)
    )


def latest_publication_for_branch(
    session: Session, consumer_id: int, provider_id: int, branch: str
) -> PactPublication | None:
    """The pact of the newest version on ``branch`` that has a pact with this provider."""
    return session.scalar(
        select(PactPublication)
        .join(BranchVersion, BranchVersion.version_id == PactPublication.consumer_version_id)
        .where(
            PactPublication.consumer_id == consumer_id,
            PactPublication.provider_id == provider_id,
            BranchVersion.branch_name == branch,
        )
        .order_by(PactPublication.consumer_version_id.desc())
        .limit(1)
    )


def latest_publications_per_integration(
    session: Session, provider_id: int | None = None, *, tag: str | None = None
) -> Sequence[PactPublication]:
    """The newest pact of every consumer/provider pair (optionally: consumer versions tagged)."""
    inner = select(
        PactPublication.consumer_id,
        PactPublication.provider_id,
        func.max(PactPublication.consumer_version_id).label("latest"),
    )
    if tag is not None:
        inner = inner.join(Tag, Tag.version_id == PactPublication.consumer_version_id).where(
            Tag.name == tag
        )
    if provider_id is not None:
        inner = inner.where(PactPublication.provider_id == provider_id)
    latest = inner.group_by(PactPublication.consumer_id, PactPublication.provider_id).subquery()
    consumer = aliased(Pacticipant)
    provider = aliased(Pacticipant)
    return session.scalars(
        select(PactPublication)
        .join(
            latest,
            and_(
                PactPublication.consumer_id == latest.c.consumer_id,
                PactPublication.provider_id == latest.c.provider_id,
                PactPublication.consumer_version_id == latest.c.latest,
            ),
        )
        .join(consumer, consumer.id == PactPublication.consumer_id)
        .join(provider, provider.id == PactPublication.provider_id)
        .order_by(func.lower(consumer.name), func.lower(provider.name))
    ).all()


def publications_for_consumer_branch(
    session: Session,
    provider_id: int,
    *,
    branch: str | None,
    latest: bool,
    consumer_id: int | None = None,
) -> Sequence[PactPublication]:
    """Pacts of consumer versions on ``branch`` (None: each consumer's main branch).

    ``latest`` keeps the pact of each branch head only (none when the head has no pact).
    """
    consumer = aliased(Pacticipant)
    query = (
        select(PactPublication)
        .join(BranchVersion, BranchVersion.version_id == PactPublication.consumer_version_id)
        .join(consumer, consumer.id == PactPublication.consumer_id)
        .where(PactPublication.provider_id == provider_id)
    )
    if consumer_id is not None:
        query = query.where(PactPublication.consumer_id == consumer_id)
    if branch is None:
        query = query.where(BranchVersion.branch_name == consumer.main_branch)
    else:
        query = query.where(BranchVersion.branch_name == branch)
    if latest:
        heads = (
            select(BranchVersion.branch_id, func.max(BranchVersion.version_id).label("head"))
            .group_by(BranchVersion.branch_id)
            .subquery()
        )
        query = query.join(
            heads,
            and_(
                heads.c.branch_id == BranchVersion.branch_id,
                heads.c.head == PactPublication.consumer_version_id,
            ),
        )
    return session.scalars(
        query.order_by(func.lower(consumer.name), PactPublication.consumer_version_id)
    ).all()


def publications_for_provider(
    session: Session, provider_id: int, *, consumer_version_ids: Iterable[int] | None = None
) -> Sequence[PactPublication]:
    query = select(PactPublication).where(PactPublication.provider_id == provider_id)
    if consumer_version_ids is not None:
        query = query.where(PactPublication.consumer_version_id.in_(set(consumer_version_ids)))
    return session.scalars(query.order_by(PactPublication.consumer_version_id)).all()


def publications_of_pact_version(
    session: Session, pact_version_id: int
) -> Sequence[PactPublication]:
    return session.scalars(
        select(PactPublication)
        .where(PactPublication.pact_version_id == pact_version_id)
        .order_by(PactPublication.consumer_version_id)
    ).all()


def previous_distinct_publication(
    session: Session, publication: PactPublication
) -> PactPublication | None:
    """The newest earlier pact of this pair whose content differs."""
    return session.scalar(
        select(PactPublication)
        .where(
            PactPublication.consumer_id == publication.consumer_id,
            PactPublication.provider_id == publication.provider_id,
            PactPublication.consumer_version_id < publication.consumer_version_id,
            PactPublication.pact_version_id != publication.pact_version_id,
        )
        .order_by(PactPublication.consumer_version_id.desc())
        .limit(1)
    )
