"""The pending rule: whether failures verifying a pact content should not fail the build."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from contract_broker.repositories.selection import ProviderVerification

__all__ = ["is_pending"]


def is_pending(
    verifications: list[ProviderVerification],
    *,
    provider_branch: str | None,
    provider_tags: tuple[str, ...],
    first_use: dict[str, datetime | None],
) -> bool:
    """Whether failures verifying this content should not fail the provider's build.

    ``verifications`` are the successful verifications of the content; ``first_use`` maps the
    provider branch (or each tag) to when it was created (None: not yet). With a branch: not
    pending once verified on it, or on another branch before it was created. With tags only:
    the same for each tag. With neither: not pending once verified by any version.
    """
    successes = [v for v in verifications if v.success]
    if provider_branch is not None:
        return not _verified_for(
            successes, provider_branch, first_use.get(provider_branch), lambda v: v.branches
        )
    if provider_tags:
        return any(
            not _verified_for(successes, tag, first_use.get(tag), lambda v: v.tags)
            for tag in provider_tags
        )
    return not successes


def _verified_for(
    successes: list[ProviderVerification],
    name: str,
    created: datetime | None,
    names_of: Callable[[ProviderVerification], frozenset[str]],
) -> bool:
    """Verified by a version on branch (or with tag) ``name``, or by a version on another
    branch (with another tag) before ``name`` was created — a version on none does not count.
    """
    if any(name in names_of(v) for v in successes):
        return True
    return any(
        bool(names_of(v) - {name}) and (created is None or _utc(v.created_at) < _utc(created))
        for v in successes
    )


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
