"""Provider contracts, and the pacts and contracts a new one of either is compared with.

What is compared is bounded, whatever the history: the versions a deployment decision asks
about — each branch's head, what is deployed or released now, the newest — newest first, at
most ``limit`` of them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, select, union
from sqlalchemy.orm import Session

from contract_broker.models import PactVersion, ProviderContract, Verification
from contract_broker.repositories._conditions import STILL_DEPLOYED, STILL_SUPPORTED
from contract_broker.repositories._tables import (
    BRANCHES,
    DEPLOYED,
    ENVIRONMENTS,
    PACTICIPANTS,
    PUBLICATIONS,
    RELEASED,
)
from contract_broker.repositories.unique import insert_new, insert_or_get

__all__ = [
    "CONTRACT_LOCK",
    "comparisons_of",
    "contract_lock",
    "contract_of_version",
    "contracts_in_use",
    "contracts_to_compare",
    "lock_provider",
    "lock_providers",
    "pacts_to_compare",
    "providers_with_contracts",
    "record_comparison",
    "store_contract",
    "verified",
]


def store_contract(session: Session, values: Mapping[str, Any]) -> tuple[ProviderContract, bool]:
    """The provider version's contract: this one if it had none (True), else the stored one."""
    return insert_or_get(session, ProviderContract, values, key=["provider_version_id"])


def contract_of_version(session: Session, provider_version_id: int) -> ProviderContract | None:
    return session.scalar(
        select(ProviderContract).where(ProviderContract.provider_version_id == provider_version_id)
    )


# Pacts and contracts published at the same moment must not miss each other: each request
# compares with what it sees, and on PostgreSQL (READ COMMITTED) neither would see the other's
# uncommitted row. So a pact publish holds a shared advisory lock per provider from its first
# statement (``contract_lock``, taken while it finds the pacticipants) until it commits, and a
# contract publish takes that lock exclusively (``lock_provider``) before it looks for pacts:
# whichever comes second waits for the first to commit, and its later statements see that
# row. Advisory locks touch no table row; shared ones do not wait for each other, so pact
# publishes never wait for pact publishes. SQLite serializes write transactions already.

#: The first key of those advisory locks ("PC"); the second is the provider's id.
CONTRACT_LOCK = 0x5043


def contract_lock(session: Session, pacticipant_id: Any) -> Any:
    """A column that takes the shared lock for ``pacticipant_id`` (a column or a value) in the
    statement that selects it, or None on SQLite (which needs none)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return func.pg_advisory_xact_lock_shared(CONTRACT_LOCK, pacticipant_id)


def lock_providers(session: Session, provider_ids: Collection[int]) -> None:
    """The shared lock for each of these (existing) pacticipants, in one statement: for those
    a publish created, or the legacy publish's."""
    lock = contract_lock(session, PACTICIPANTS.c.id)
    if lock is None or not provider_ids:
        return
    session.execute(
        select(lock).where(PACTICIPANTS.c.id.in_(sorted(provider_ids))).order_by(PACTICIPANTS.c.id)
    )


def lock_provider(session: Session, provider_id: int) -> None:
    """The exclusive lock: wait for pact publishes in flight for this provider to commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(CONTRACT_LOCK, provider_id)))


def providers_with_contracts(session: Session, provider_ids: Collection[int]) -> set[int]:
    """Which of these providers have published a provider contract (one statement)."""
    if not provider_ids:
        return set()
    rows = session.scalars(
        select(ProviderContract.provider_id)
        .where(ProviderContract.provider_id.in_(sorted(provider_ids)))
        .distinct()
    )
    return set(rows)


def _deciding_versions(pacticipant_ids: Any) -> Select[Any]:
    """Version ids of these pacticipants that deployment decisions are about now: each one's
    main-branch head and its versions deployed or released now (bounded by the environments,
    not by the history)."""
    main_heads = (
        select(BRANCHES.c.head_version_id)
        .join(PACTICIPANTS, PACTICIPANTS.c.id == BRANCHES.c.pacticipant_id)
        .where(
            BRANCHES.c.pacticipant_id.in_(pacticipant_ids),
            BRANCHES.c.name == PACTICIPANTS.c.main_branch,
            BRANCHES.c.head_version_id.is_not(None),
        )
    )
    deployed = select(DEPLOYED.c.version_id).where(
        DEPLOYED.c.pacticipant_id.in_(pacticipant_ids), STILL_DEPLOYED
    )
    released = select(RELEASED.c.version_id).where(
        RELEASED.c.pacticipant_id.in_(pacticipant_ids), STILL_SUPPORTED
    )
    return select(union(main_heads, deployed, released).subquery().c[0])


def _branch_heads(pacticipant_ids: Any) -> Select[Any]:
    return select(BRANCHES.c.head_version_id).where(
        BRANCHES.c.pacticipant_id.in_(pacticipant_ids), BRANCHES.c.head_version_id.is_not(None)
    )


def contracts_to_compare(
    session: Session, provider_id: int, *, limit: int
) -> Sequence[ProviderContract]:
    """The provider's contracts a new pact is compared with, newest first: always those of its
    main-branch head and of its versions deployed or released now; then, up to ``limit``,
    those of its other branch heads and its newest contract."""
    ids = [provider_id]
    newest = (
        select(func.max(ProviderContract.id))
        .where(ProviderContract.provider_id == provider_id)
        .scalar_subquery()
    )
    others = (
        select(ProviderContract.id)
        .where(
            ProviderContract.provider_id == provider_id,
            ProviderContract.provider_version_id.in_(_branch_heads(ids))
            | (ProviderContract.id == newest),
        )
        .order_by(ProviderContract.id.desc())
        .limit(limit)
    )
    wanted: ColumnElement[bool] = ProviderContract.provider_version_id.in_(
        _deciding_versions(ids)
    ) | ProviderContract.id.in_(select(others.subquery().c[0]))
    return session.scalars(
        select(ProviderContract)
        .where(ProviderContract.provider_id == provider_id, wanted)
        .order_by(ProviderContract.id.desc())
    ).all()


def pacts_to_compare(session: Session, provider_id: int, *, limit: int) -> Sequence[PactVersion]:
    """The pact contents a new contract of the provider is compared with, newest first: always
    those of its consumers' main-branch heads and versions deployed or released now; then, up
    to ``limit``, those of their other branch heads and newest versions."""
    consumers = (
        select(PUBLICATIONS.c.consumer_id).where(PUBLICATIONS.c.provider_id == provider_id)
    ).distinct()
    newest = (
        select(func.max(PUBLICATIONS.c.consumer_version_id))
        .where(PUBLICATIONS.c.provider_id == provider_id)
        .group_by(PUBLICATIONS.c.consumer_id)
    )
    deciding = select(PUBLICATIONS.c.pact_version_id).where(
        PUBLICATIONS.c.provider_id == provider_id,
        PUBLICATIONS.c.consumer_version_id.in_(_deciding_versions(consumers)),
    )
    others = (
        select(PUBLICATIONS.c.pact_version_id)
        .where(
            PUBLICATIONS.c.provider_id == provider_id,
            PUBLICATIONS.c.consumer_version_id.in_(_branch_heads(consumers))
            | PUBLICATIONS.c.consumer_version_id.in_(newest),
        )
        .distinct()
        .order_by(PUBLICATIONS.c.pact_version_id.desc())
        .limit(limit)
    )
    return session.scalars(
        select(PactVersion)
        .where(PactVersion.id.in_(deciding) | PactVersion.id.in_(select(others.subquery().c[0])))
        .order_by(PactVersion.id.desc())
    ).all()


def verified(session: Session, pairs: Collection[tuple[int, int]]) -> set[tuple[int, int]]:
    """The (pact version, provider version) pairs that already have a verification: a replay
    (which is their verdict) or a comparison (made once: neither side ever changes). Neither
    is compared again."""
    if not pairs:
        return set()
    pact_version_ids = {p for p, _ in pairs}
    provider_version_ids = {v for _, v in pairs}
    rows = session.execute(
        select(Verification.pact_version_id, Verification.provider_version_id)
        .where(
            Verification.pact_version_id.in_(pact_version_ids),
            Verification.provider_version_id.in_(provider_version_ids),
        )
        .distinct()
    )
    return {(row[0], row[1]) for row in rows} & set(pairs)


def record_comparison(session: Session, values: Mapping[str, Any]) -> Verification | None:
    """The comparison as a verification row; None when one for the pair was already recorded
    (by an earlier or a concurrent request: the partial unique index decides)."""
    return insert_new(session, Verification, values)


def comparisons_of(session: Session, contract_id: int, *, limit: int) -> Sequence[Any]:
    """The newest ``limit`` comparisons made with the contract: (verification, pact SHA,
    consumer name) rows, by consumer name then newest first."""
    newest = (
        select(Verification.id)
        .where(Verification.provider_contract_id == contract_id)
        .order_by(Verification.id.desc())
        .limit(limit)
    )
    consumer = PACTICIPANTS.alias("consumer")
    return session.execute(
        select(Verification, PactVersion.sha, consumer.c.name)
        .join(PactVersion, PactVersion.id == Verification.pact_version_id)
        .join(consumer, consumer.c.id == Verification.consumer_id)
        .where(Verification.id.in_(select(newest.subquery().c[0])))
        .order_by(consumer.c.name, Verification.id.desc())
    ).all()


def contracts_in_use(session: Session, provider_id: int) -> list[tuple[ProviderContract, str]]:
    """The contracts of the provider's main-branch head and of its versions deployed or
    released now, each with why: ``head of main branch <name>``, ``deployed to <env>``,
    ``released in <env>`` (a contract may have several reasons: one row each)."""
    main_head = (
        select(
            BRANCHES.c.head_version_id.label("version_id"),
            (literal("head of main branch ") + BRANCHES.c.name).label("why"),
        )
        .join(PACTICIPANTS, PACTICIPANTS.c.id == BRANCHES.c.pacticipant_id)
        .where(
            BRANCHES.c.pacticipant_id == provider_id,
            BRANCHES.c.name == PACTICIPANTS.c.main_branch,
        )
    )
    deployed = (
        select(DEPLOYED.c.version_id, literal("deployed to ") + ENVIRONMENTS.c.name)
        .join(ENVIRONMENTS, ENVIRONMENTS.c.id == DEPLOYED.c.environment_id)
        .where(DEPLOYED.c.pacticipant_id == provider_id, STILL_DEPLOYED)
    )
    released = (
        select(RELEASED.c.version_id, literal("released in ") + ENVIRONMENTS.c.name)
        .join(ENVIRONMENTS, ENVIRONMENTS.c.id == RELEASED.c.environment_id)
        .where(RELEASED.c.pacticipant_id == provider_id, STILL_SUPPORTED)
    )
    wanted = union(main_head, deployed, released).subquery("wanted")
    rows = session.execute(
        select(ProviderContract, wanted.c.why)
        .join(wanted, wanted.c.version_id == ProviderContract.provider_version_id)
        .order_by(ProviderContract.id.desc(), wanted.c.why)
    ).all()
    return [(row[0], row[1]) for row in rows]
