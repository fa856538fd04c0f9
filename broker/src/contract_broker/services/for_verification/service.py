"""The pacts a provider version should verify: selectors run, entries merged, pending and WIP."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sqlalchemy.orm import Session

from contract_broker.errors import Invalid, NotFound
from contract_broker.models import Pacticipant
from contract_broker.repositories import environments as environment_repo
from contract_broker.repositories import pacticipants as pacticipant_repo
from contract_broker.repositories import selection as repo
from contract_broker.repositories.selection import Selected
from contract_broker.services.for_verification.descriptions import describe
from contract_broker.services.for_verification.pending import is_pending
from contract_broker.services.for_verification.query import Query, Selector

__all__ = ["VerifiablePact", "pacts_for_verification"]


@dataclass
class VerifiablePact:
    """One entry of the response: a pact content to verify and why.

    ``consumer_version_number`` and ``pact_version_sha`` name ``selected`` (the newest consumer
    version with this content among those selected).
    """

    selected: Selected
    consumer: Pacticipant
    descriptions: list[str] = field(default_factory=list)
    pending: bool | None = None
    wip: bool = False
    consumer_version_ids: set[int] = field(default_factory=set)
    consumer_version_number: str = ""
    pact_version_sha: str = ""


def pacts_for_verification(
    session: Session, provider_name: str, query: Query
) -> list[VerifiablePact]:
    """The pacts this provider version should verify, de-duplicated by content."""
    provider, found = repo.provider_and_consumers(session, provider_name)
    if provider is None:
        raise NotFound(f"No provider with name '{provider_name}' found")
    consumers = {c.id: c for c in found}
    by_name = {c.name: c for c in found}
    selectors = list(query.selectors) or _default_selectors(session, consumers)
    environments = _environments(session, selectors)
    entries: dict[int, VerifiablePact] = {}
    for selector in selectors:
        consumer_ids = None
        if selector.consumer is not None:
            consumer = by_name.get(selector.consumer)
            if consumer is None:
                continue
            consumer_ids = [consumer.id]
        rows, fallback = _select(session, provider.id, selector, consumer_ids, environments)
        for row in rows:
            entry = entries.get(row.pact_version_id)
            if entry is None:
                entry = entries[row.pact_version_id] = VerifiablePact(
                    row, consumers[row.consumer_id]
                )
            elif row.consumer_version_id > entry.selected.consumer_version_id:
                entry.selected = row
            entry.consumer_version_ids.add(row.consumer_version_id)
            text = describe(
                _as_found(selector, row), fallback=fallback, environment=row.environment
            )
            if text not in entry.descriptions:
                entry.descriptions.append(text)
    needs_verifications = query.include_pending or query.wip_since is not None
    wip_rows: list[Selected] = []
    if query.wip_since is not None and (query.provider_branch or query.provider_tags):
        wip_rows = [
            r
            for r in repo.wip_candidates(session, provider.id, query.wip_since)
            if r.pact_version_id not in entries
        ]
    if needs_verifications:
        pending = _pending_rule(
            session, provider.id, query, set(entries) | {r.pact_version_id for r in wip_rows}
        )
    if query.include_pending:
        for pact_version_id, entry in entries.items():
            entry.pending = pending(pact_version_id, True)
    wip_entries: dict[int, VerifiablePact] = {}
    # Oldest first, a branch head before a tag head of the same version.
    for row in sorted(wip_rows, key=lambda r: (r.consumer_version_id, r.branch is None)):
        if not pending(row.pact_version_id, False):
            continue
        entry = wip_entries.get(row.pact_version_id)
        if entry is None:
            entry = wip_entries[row.pact_version_id] = VerifiablePact(
                row, consumers[row.consumer_id], pending=True, wip=True
            )
        entry.selected = row
        entry.consumer_version_ids.add(row.consumer_version_id)
        source = f"latest from branch {row.branch}" if row.branch else f"latest with tag {row.tag}"
        if source not in entry.descriptions:
            entry.descriptions.append(source)
    ordered = sorted(
        entries.values(), key=lambda e: (e.consumer.name.lower(), e.selected.consumer_version_id)
    )
    ordered += sorted(
        wip_entries.values(),
        key=lambda e: (e.consumer.name.lower(), e.selected.consumer_version_id),
    )
    labels = repo.labels(session, [e.selected.publication_id for e in ordered])
    for entry in ordered:
        entry.consumer_version_number, entry.pact_version_sha = labels[
            entry.selected.publication_id
        ]
    return ordered


def _environments(session: Session, selectors: list[Selector]) -> dict[str, int]:
    """``{name: id}`` of the environments the selectors name; Invalid if one does not exist."""
    named = sorted({s.environment for s in selectors if s.environment})
    if not named:
        return {}
    environments = {
        e.name: e.id for name in named for e in environment_repo.list_environments(session, name)
    }
    missing = [name for name in named if name not in environments]
    if missing:
        raise Invalid(
            {
                "consumerVersionSelectors": [
                    f"Environment with name '{name}' does not exist" for name in missing
                ]
            }
        )
    return environments


def _as_found(selector: Selector, row: Selected) -> Selector:
    """A "deployed or released" selector as what picked this row: deployed, or released (the
    Pact Broker describes each selected version so)."""
    if row.deployment is None:
        return selector
    released = row.deployment == repo.RELEASED_KIND
    return replace(selector, deployed=not released, released=released)


def _pending_rule(
    session: Session, provider_id: int, query: Query, pact_version_ids: set[int]
) -> Callable[[int, bool], bool]:
    """``pending(pact_version_id, with_wip)`` for these pact versions: whether failures verifying
    it should not fail the build, counting WIP verifications as verifying it or not."""
    if query.provider_branch is not None:
        # The common case, decided by the database: one probe or two per pact version.
        verdicts = repo.verified_for_branch(
            session, pact_version_ids, provider_id=provider_id, branch=query.provider_branch
        )
        needed = {True: repo.VERIFIED_WITH_WIP, False: repo.VERIFIED}
        return lambda pact_version_id, with_wip: verdicts[pact_version_id] < needed[with_wip]
    first_use = {tag: repo.first_use(session, provider_id, tag=tag) for tag in query.provider_tags}
    verifications = repo.provider_verifications(
        session, pact_version_ids, with_tags=bool(query.provider_tags)
    )

    def pending(pact_version_id: int, with_wip: bool) -> bool:
        found = verifications[pact_version_id]
        return is_pending(
            found if with_wip else [v for v in found if not v.wip],
            provider_branch=None,
            provider_tags=query.provider_tags,
            first_use=first_use,
        )

    return pending


def _select(
    session: Session,
    provider_id: int,
    selector: Selector,
    consumer_ids: list[int] | None,
    environments: dict[str, int],
) -> tuple[list[Selected], bool]:
    """The rows a selector picks, and whether they came from its fallback."""
    if selector.main_branch:
        return repo.main_branch_heads(session, provider_id, consumer_ids), False
    if selector.branch is not None:
        rows = repo.branch_heads(session, provider_id, selector.branch, consumer_ids)
        if not rows and selector.fallback_branch:
            return repo.branch_heads(
                session, provider_id, selector.fallback_branch, consumer_ids
            ), True
        return rows, False
    if selector.tag is not None:
        if selector.latest:
            rows = repo.latest_with_tag(session, provider_id, selector.tag, consumer_ids)
            if not rows and selector.fallback_tag:
                return repo.latest_with_tag(
                    session, provider_id, selector.fallback_tag, consumer_ids
                ), True
            return rows, False
        return repo.with_tag(session, provider_id, selector.tag, consumer_ids), False
    if selector.deployed or selector.released or selector.environment:
        either = not selector.deployed and not selector.released
        return repo.in_environment(
            session,
            provider_id,
            consumer_ids,
            environment_id=environments[selector.environment] if selector.environment else None,
            deployed=selector.deployed or either,
            released=selector.released or either,
        ), False
    return repo.latest_per_consumer(session, provider_id, consumer_ids), False


def _default_selectors(session: Session, consumers: dict[int, Pacticipant]) -> list[Selector]:
    selectors: list[Selector] = []
    for consumer in sorted(consumers.values(), key=lambda c: c.name):
        main = consumer.main_branch
        if main and pacticipant_repo.latest_version_for_branch(session, consumer.id, main):
            selectors.append(Selector(consumer=consumer.name, main_branch=True, latest=True))
        elif main and pacticipant_repo.latest_version_with_tag(session, consumer.id, main):
            selectors.append(Selector(consumer=consumer.name, tag=main, latest=True))
        else:
            selectors.append(Selector(consumer=consumer.name, latest=True))
    return [*selectors, Selector(deployed=True), Selector(released=True)]
