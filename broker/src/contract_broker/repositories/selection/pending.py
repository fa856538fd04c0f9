"""What the pending rules read: a pact version's successful verifications, and by which branch."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, case, func, literal, select
from sqlalchemy.orm import Session, aliased

from contract_broker.models import BranchVersion, Tag, Verification
from contract_broker.repositories._tables import (
    BRANCH_VERSIONS,
    BRANCHES,
    PACT_VERSIONS,
    VERIFICATIONS,
    ids,
    run,
)

__all__ = [
    "VERIFIED",
    "VERIFIED_WITH_WIP",
    "ProviderVerification",
    "first_use",
    "provider_verifications",
    "verified_for_branch",
]


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
    # A provider contract comparison is no replay: it never ends a pact's pending status.
    successes = (
        Verification.pact_version_id.in_(ids),
        Verification.success.is_(True),
        Verification.provider_contract_id.is_(None),
    )
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
            VERIFICATIONS.c.provider_contract_id.is_(None),  # a comparison is no replay
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
