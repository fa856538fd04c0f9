"""Pacts-for-verification requests: the body parsed and validated into a Query of Selectors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from contract_broker.errors import Invalid

__all__ = ["Query", "Selector", "parse_query"]

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
