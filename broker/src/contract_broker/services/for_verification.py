"""Pacts for verification: consumer version selectors, pending status, WIP pacts.

What ``Verifier.broker_source`` and ``pact verifier`` ask for before verifying a provider. The
rules follow the Pact Broker:

- selectors pick pact publications; the same content (SHA) picked by several selectors is one
  entry, shown for its newest consumer version;
- an empty selector list means: each consumer's main branch head (else its latest version tagged
  with the main branch name, else its latest), plus everything deployed or released;
- pending: content never successfully verified by this provider branch (or, before the branch
  existed, by a version on another branch) — failures of pending pacts do not fail the build;
- WIP: branch and tag heads published since a date that are still pending for this branch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from contract_broker.errors import Invalid, NotFound
from contract_broker.models import Pacticipant
from contract_broker.repositories import environments as environment_repo
from contract_broker.repositories import pacticipants as pacticipant_repo
from contract_broker.repositories import selection as repo
from contract_broker.repositories.selection import ProviderVerification, Selected

__all__ = [
    "Query",
    "Selector",
    "VerifiablePact",
    "describe",
    "is_pending",
    "pacts_for_verification",
    "parse_query",
]

SELECTOR_KEYS = frozenset(
    {
        "consumer",
        "tag",
        "fallbackTag",
        "latest",
        "deployedOrReleased",
        "deployed",
        "released",
        "environment",
        "mainBranch",
        "branch",
        "matchingBranch",
        "fallbackBranch",
    }
)
BRANCH_KEYS = ("mainBranch", "branch", "matchingBranch", "fallbackBranch")
ENVIRONMENT_KEYS = ("environment", "deployed", "released", "deployedOrReleased")


@dataclass(frozen=True)
class Selector:
    """One consumer version selector, normalised."""

    consumer: str | None = None
    tag: str | None = None
    fallback_tag: str | None = None
    latest: bool | None = None
    main_branch: bool = False
    branch: str | None = None
    matching_branch: bool = False
    fallback_branch: str | None = None
    deployed: bool = False
    released: bool = False
    environment: str | None = None


@dataclass(frozen=True)
class Query:
    selectors: tuple[Selector, ...]
    provider_branch: str | None
    provider_tags: tuple[str, ...]
    include_pending: bool
    wip_since: datetime | None


def _bool(errors: dict[str, list[str]], key: str, value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    errors.setdefault(key, []).append("must be a boolean (true or false)")
    return None


def _string(errors: dict[str, list[str]], key: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        errors.setdefault(key, []).append("must be a non-blank string")
        return None
    return value


def parse_query(body: dict[str, Any]) -> Query:
    """Validate a pacts-for-verification request (POST body, or the GET query turned into one)."""
    errors: dict[str, list[str]] = {}
    raw_selectors = body.get("consumerVersionSelectors") or []
    if not isinstance(raw_selectors, list):
        errors["consumerVersionSelectors"] = ["must be a list"]
        raw_selectors = []
    provider_branch = _string(errors, "providerVersionBranch", body.get("providerVersionBranch"))
    raw_tags = body.get("providerVersionTags") or []
    if not isinstance(raw_tags, list) or not all(isinstance(t, str) and t for t in raw_tags):
        errors["providerVersionTags"] = ["must be a list of non-blank strings"]
        raw_tags = []
    include_pending = _bool(errors, "includePendingStatus", body.get("includePendingStatus"))
    wip_since = None
    raw_since = body.get("includeWipPactsSince")
    if raw_since is not None:
        try:
            wip_since = _parse_date(raw_since)
        except (TypeError, ValueError):
            errors["includeWipPactsSince"] = [
                "must be a date (e.g. 2024-01-31 or an ISO 8601 date-time)"
            ]
    selectors = [
        _parse_selector(index, raw, provider_branch, errors)
        for index, raw in enumerate(raw_selectors)
    ]
    if (
        (include_pending is not False or wip_since is not None)
        and provider_branch is None
        and "providerVersionBranch" in body
        and not raw_tags
    ):
        errors.setdefault("providerVersionBranch", []).append(
            "cannot be blank when pending or WIP pacts are requested"
        )
    if errors:
        raise Invalid(errors)
    return Query(
        selectors=tuple(s for s in selectors if s is not None),
        provider_branch=provider_branch,
        provider_tags=tuple(raw_tags),
        include_pending=include_pending is not False,
        wip_since=wip_since,
    )


def _parse_date(value: Any) -> datetime:
    if not isinstance(value, str):
        raise TypeError(value)
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = datetime.combine(date.fromisoformat(text), datetime.min.time())
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _parse_selector(
    index: int, raw: Any, provider_branch: str | None, errors: dict[str, list[str]]
) -> Selector | None:
    key = f"consumerVersionSelectors.{index}"
    if not isinstance(raw, dict):
        errors[key] = ["must be an object"]
        return None
    before = len(errors)
    unknown = sorted(set(raw) - SELECTOR_KEYS)
    if unknown:
        errors.setdefault(key, []).append(f"unknown key(s): {', '.join(unknown)}")
    values = {k: v for k, v in raw.items() if v is not None}
    flags = {
        k: _bool(errors, f"{key}.{k}", values.get(k))
        for k in (
            "latest",
            "mainBranch",
            "matchingBranch",
            "deployed",
            "released",
            "deployedOrReleased",
        )
    }
    names = {
        k: _string(errors, f"{key}.{k}", values.get(k))
        for k in ("consumer", "tag", "fallbackTag", "branch", "fallbackBranch", "environment")
    }
    problems = _combination_problems(values, flags, names, provider_branch)
    if problems:
        errors.setdefault(key, []).extend(problems)
    if len(errors) > before:
        return None
    either = bool(flags["deployedOrReleased"])
    return Selector(
        consumer=names["consumer"],
        tag=names["tag"],
        fallback_tag=names["fallbackTag"],
        latest=flags["latest"],
        main_branch=bool(flags["mainBranch"]),
        branch=provider_branch if flags["matchingBranch"] else names["branch"],
        matching_branch=bool(flags["matchingBranch"]),
        fallback_branch=names["fallbackBranch"],
        deployed=bool(flags["deployed"]) or either,
        released=bool(flags["released"]) or either,
        environment=names["environment"],
    )


def _combination_problems(
    values: dict[str, Any],
    flags: dict[str, bool | None],
    names: dict[str, str | None],
    provider_branch: str | None,
) -> list[str]:
    present = {k for k, v in values.items() if v is not False}
    problems = []
    anchors = {
        "mainBranch",
        "tag",
        "branch",
        "environment",
        "matchingBranch",
        "deployed",
        "released",
        "deployedOrReleased",
    }
    if not present & anchors and flags["latest"] is not True:
        problems.append(
            "must specify a value for at least one of the following keys: "
            "mainBranch, tag, branch, environment, matchingBranch, deployed, "
            "released, deployedOrReleased, or latest: true"
        )
    if flags["mainBranch"] and present - {"mainBranch", "consumer", "latest"}:
        problems.append("mainBranch may only be combined with consumer and latest")
    if flags["matchingBranch"]:
        if present - {"matchingBranch", "consumer"}:
            problems.append("matchingBranch may only be combined with consumer")
        if provider_branch is None:
            problems.append("matchingBranch needs providerVersionBranch to be set")
    if names["tag"] and (names["branch"] or flags["mainBranch"]):
        problems.append("tag cannot be combined with branch or mainBranch")
    if present & set(BRANCH_KEYS) and present & set(ENVIRONMENT_KEYS):
        problems.append("branch keys cannot be combined with environment, deployed or released")
    if flags["deployed"] and flags["released"]:
        problems.append("deployed and released cannot both be set (use deployedOrReleased)")
    if names["fallbackTag"] and not (names["tag"] and flags["latest"]):
        problems.append("fallbackTag can only be set with tag and latest: true")
    if names["fallbackBranch"] and not names["branch"]:
        problems.append("fallbackBranch can only be set with branch")
    if names["branch"] and flags["latest"] is False:
        problems.append("branch cannot be combined with latest: false")
    return problems


def describe(selector: Selector, *, fallback: bool = False, environment: str | None = None) -> str:
    """The Pact Broker's short description of a selector (``shortDescription``).

    ``fallback``: the pact came from the selector's fallback tag or branch. ``environment``:
    where the selected version is deployed or released, when the selector names none.
    """
    where = selector.environment or environment
    if selector.main_branch:
        return "latest from main branch"
    if selector.branch:
        return f"latest from branch {selector.fallback_branch if fallback else selector.branch}"
    if selector.tag and selector.latest:
        return f"latest with tag {selector.fallback_tag if fallback else selector.tag}"
    if selector.tag:
        who = f"{selector.consumer} " if selector.consumer else ""
        return f"one of {who}{selector.tag}"
    if selector.deployed and not selector.released:
        return f"deployed to {where}" if where else "currently deployed"
    if selector.released and not selector.deployed:
        return f"released in {where}" if where else "currently released"
    if selector.deployed or selector.released or selector.environment:
        return f"deployed or released to {where}" if where else "deployed or released"
    return "latest"


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
