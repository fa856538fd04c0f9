"""What changed between two pacts: unified diffs of their content (interactions, not metadata)."""

from __future__ import annotations

import difflib
import json
from typing import Any

from sqlalchemy.orm import Session

from contract_broker.repositories import pacts as pact_repo
from contract_broker.services.pacts import PactView, find_pact, view_of

__all__ = [
    "diff_previous_distinct",
    "diff_versions",
    "diff_with_previous",
    "pact_diff",
]

# Not content: they differ between publications of the same contract.
_NOT_COMPARED = frozenset({"metadata", "createdAt", "_links"})


def pact_diff(
    before: dict[str, Any], after: dict[str, Any], *, fromfile: str, tofile: str, context: int
) -> list[str]:
    """A unified diff of two pacts' content, keys sorted, without metadata or interaction ids."""
    return list(
        difflib.unified_diff(
            _pretty(before), _pretty(after), fromfile, tofile, lineterm="", n=context
        )
    )


def _pretty(pact: dict[str, Any]) -> list[str]:
    shown = {k: v for k, v in pact.items() if k not in _NOT_COMPARED}
    return json.dumps(
        _without_ids(shown), indent=2, sort_keys=True, ensure_ascii=False
    ).splitlines()


def _without_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k != "_id"}
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


def _diff_of_views(before: PactView, after: PactView) -> list[str]:
    return pact_diff(
        before.content,
        after.content,
        fromfile=f"version {before.consumer_version.number}",
        tofile=f"version {after.consumer_version.number}",
        context=3,
    )


def diff_with_previous(session: Session, view: PactView) -> tuple[PactView | None, list[str]]:
    """The previous distinct pact of this pair and a unified diff from it (oldest first)."""
    previous = pact_repo.previous_distinct_publication(session, view.publication)
    if previous is None:
        return None, []
    before = view_of(session, previous)
    return before, _diff_of_views(before, view)


def diff_previous_distinct(
    session: Session, provider_name: str, consumer_name: str, version: str
) -> list[str] | None:
    """The diff of a version's pact from the previous distinct one; None if it is the first."""
    previous, lines = diff_with_previous(
        session, find_pact(session, provider_name, consumer_name, version=version)
    )
    return None if previous is None else lines


def diff_versions(
    session: Session, provider_name: str, consumer_name: str, version: str, other: str
) -> list[str]:
    """The diff from ``other``'s pact to ``version``'s."""
    after = find_pact(session, provider_name, consumer_name, version=version)
    before = find_pact(session, provider_name, consumer_name, version=other)
    return _diff_of_views(before, after)
