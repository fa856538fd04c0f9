"""Selectors resolved to the versions found, the selectors inferred from a target, integrations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from contract_broker.repositories.matrix import IntegrationRef, VersionRef
from contract_broker.services.matrix.types import (
    NO_ID,
    Integration,
    Kind,
    Options,
    Resolved,
    Selector,
)

__all__ = ["inferred_selector", "merge_integrations", "resolve_selector", "with_version"]


def _ignores_pacticipant(ignore: Sequence[Resolved], pacticipant_id: int) -> bool:
    return any(s.pacticipant_id == pacticipant_id and s.only_pacticipant for s in ignore)


def _ignores_version(ignore: Sequence[Resolved], pacticipant_id: int, version_id: int) -> bool:
    return any(
        s.pacticipant_id == pacticipant_id and (s.only_pacticipant or s.version_id == version_id)
        for s in ignore
    )


def with_version(
    pacticipant_id: int,
    name: str,
    original: Selector,
    kind: Kind,
    *,
    version: VersionRef | None,
    ignore: bool,
    one_of_many: bool = False,
) -> Resolved:
    branch = original.branch
    if version is not None and branch is None and original.main_branch:
        branch = version.branch
    return Resolved(
        pacticipant_id=pacticipant_id,
        pacticipant_name=name,
        original=original,
        kind=kind,
        ignore=ignore,
        version_id=version.id if version is not None else NO_ID,
        version_number=version.number if version is not None else original.version,
        latest=original.latest,
        tag=original.tag,
        branch=branch,
        main_branch=original.main_branch,
        environment=original.environment,
        one_of_many=one_of_many,
    )


def resolve_selector(
    selector: Selector,
    *,
    pacticipant: tuple[int, str] | None,
    versions: Sequence[VersionRef] | None,
    kind: Kind,
    ignore: Sequence[Resolved] = (),
) -> list[Resolved]:
    """One selector as resolved selectors: one per version found, or one saying none was.

    ``pacticipant`` is ``(id, name)`` or None when it does not exist; ``versions`` is None for
    a selector of every version. ``ignore`` marks the ones the client asked to ignore.
    """
    if pacticipant is None:
        return [Resolved(NO_ID, selector.pacticipant or "", selector, kind)]
    pacticipant_id, name = pacticipant
    if versions is None:
        skip = _ignores_pacticipant(ignore, pacticipant_id)
        return [Resolved(pacticipant_id, name, selector, kind, ignore=skip)]
    found: list[VersionRef | None] = list(versions)
    if selector.latest:
        found = [max(versions, key=lambda v: v.id)] if versions else [None]
    elif not found:
        found = [None]
    many = sum(v is not None for v in found) > 1
    return [
        with_version(
            pacticipant_id,
            name,
            selector,
            kind,
            version=v,
            ignore=_ignores_version(ignore, pacticipant_id, v.id)
            if v is not None
            else _ignores_pacticipant(ignore, pacticipant_id),
            one_of_many=many,
        )
        for v in found
    ]


def inferred_selector(name: str, options: Options) -> Selector:
    """What the other side of an integration must be, given the query's target."""
    return Selector(
        pacticipant=name,
        latest=bool(options.latest),
        tag=options.tag,
        main_branch=bool(options.main_branch),
        environment=options.environment,
    )


def merge_integrations(
    as_consumer: Iterable[IntegrationRef], as_provider: Iterable[IntegrationRef]
) -> list[Integration]:
    """Deduplicated integrations; a consumer needs its providers, a provider needs no consumer."""
    found: dict[tuple[int, int], Integration] = {}
    for ref, required in [(r, True) for r in as_consumer] + [(r, False) for r in as_provider]:
        key = (ref.consumer_id, ref.provider_id)
        if key not in found or (required and not found[key].required):
            found[key] = Integration(
                ref.consumer_id, ref.consumer_name, ref.provider_id, ref.provider_name, required
            )
    return sorted(found.values(), key=lambda i: (i.consumer_name, i.provider_name))
