"""Pacts-for-verification rules: selector parsing and validation, descriptions, pending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contract_broker.errors import Invalid
from contract_broker.repositories.selection import ProviderVerification
from contract_broker.services.for_verification import (
    Query,
    Selector,
    describe,
    is_pending,
    parse_query,
)

# --- parsing -------------------------------------------------------------------------------

VALID: dict[str, tuple[dict[str, Any], Query]] = {
    "empty body: default selectors, pending on": (
        {},
        Query(
            selectors=(),
            provider_branch=None,
            provider_tags=(),
            include_pending=True,
            wip_since=None,
        ),
    ),
    "what Verifier.broker_source(url) sends": (
        {"includePendingStatus": False, "consumerVersionSelectors": []},
        Query((), None, (), False, None),
    ),
    "the selector builder's full request": (
        {
            "providerVersionTags": ["dev"],
            "includePendingStatus": True,
            "includeWipPactsSince": "2024-01-01",
            "consumerVersionSelectors": [
                {"mainBranch": True},
                {"deployedOrReleased": True},
                {"consumer": "Foo", "branch": "feat-x"},
            ],
            "providerVersionBranch": "main",
        },
        Query(
            selectors=(
                Selector(main_branch=True),
                Selector(deployed=True, released=True),
                Selector(consumer="Foo", branch="feat-x"),
            ),
            provider_branch="main",
            provider_tags=("dev",),
            include_pending=True,
            wip_since=datetime(2024, 1, 1, tzinfo=UTC),
        ),
    ),
    "matchingBranch takes the provider branch": (
        {"consumerVersionSelectors": [{"matchingBranch": True}], "providerVersionBranch": "f"},
        Query((Selector(branch="f", matching_branch=True),), "f", (), True, None),
    ),
    "tag, latest, fallback tag; None values ignored": (
        {
            "consumerVersionSelectors": [
                {"tag": "prod", "latest": True, "fallbackTag": "main", "branch": None}
            ]
        },
        Query((Selector(tag="prod", latest=True, fallback_tag="main"),), None, (), True, None),
    ),
    "booleans as strings (the deprecated GET)": (
        {"consumerVersionSelectors": [{"latest": "true"}], "includePendingStatus": "false"},
        Query((Selector(latest=True),), None, (), False, None),
    ),
    "environment, deployed, released": (
        {
            "consumerVersionSelectors": [
                {"environment": "prod", "deployed": True},
                {"released": True},
                {"environment": "test"},
            ]
        },
        Query(
            (
                Selector(environment="prod", deployed=True),
                Selector(released=True),
                Selector(environment="test"),
            ),
            None,
            (),
            True,
            None,
        ),
    ),
    "branch with its fallback": (
        {"consumerVersionSelectors": [{"branch": "feat", "fallbackBranch": "main"}]},
        Query((Selector(branch="feat", fallback_branch="main"),), None, (), True, None),
    ),
    "WIP date as a date-time with Z": (
        {"includeWipPactsSince": "2024-05-06T07:08:09Z", "providerVersionBranch": "main"},
        Query((), "main", (), True, datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)),
    ),
}


@pytest.mark.parametrize(("body", "expected"), list(VALID.values()), ids=list(VALID))
def test_valid_requests(body: dict[str, Any], expected: Query) -> None:
    assert parse_query(body) == expected


SELECTOR = "consumerVersionSelectors.0"
AT_LEAST_ONE = "must specify a value for at least one of the following keys"

INVALID: dict[str, tuple[dict[str, Any], dict[str, str]]] = {
    "selectors not a list": (
        {"consumerVersionSelectors": {"tag": "x"}},
        {"consumerVersionSelectors": "must be a list"},
    ),
    "selector not an object": (
        {"consumerVersionSelectors": ["main"]},
        {SELECTOR: "must be an object"},
    ),
    "empty selector": ({"consumerVersionSelectors": [{}]}, {SELECTOR: AT_LEAST_ONE}),
    "latest false alone": (
        {"consumerVersionSelectors": [{"latest": False}]},
        {SELECTOR: AT_LEAST_ONE},
    ),
    "consumer alone": ({"consumerVersionSelectors": [{"consumer": "a"}]}, {SELECTOR: AT_LEAST_ONE}),
    "unknown key": (
        {"consumerVersionSelectors": [{"latest": True, "newest": True}]},
        {SELECTOR: "unknown key(s): newest"},
    ),
    "tag not a string": (
        {"consumerVersionSelectors": [{"tag": 1}]},
        {f"{SELECTOR}.tag": "must be a non-blank string"},
    ),
    "blank branch": (
        {"consumerVersionSelectors": [{"branch": " "}]},
        {f"{SELECTOR}.branch": "must be a non-blank string"},
    ),
    "latest not a boolean": (
        {"consumerVersionSelectors": [{"tag": "x", "latest": "maybe"}]},
        {f"{SELECTOR}.latest": "must be a boolean"},
    ),
    "mainBranch with tag": (
        {"consumerVersionSelectors": [{"mainBranch": True, "tag": "x"}]},
        {SELECTOR: "mainBranch may only be combined with consumer and latest"},
    ),
    "tag with branch": (
        {"consumerVersionSelectors": [{"tag": "x", "branch": "y"}]},
        {SELECTOR: "tag cannot be combined with branch or mainBranch"},
    ),
    "matchingBranch without a provider branch": (
        {"consumerVersionSelectors": [{"matchingBranch": True}]},
        {SELECTOR: "matchingBranch needs providerVersionBranch to be set"},
    ),
    "matchingBranch with tag": (
        {"consumerVersionSelectors": [{"matchingBranch": True, "tag": "x"}]},
        {SELECTOR: "matchingBranch may only be combined with consumer"},
    ),
    "branch with environment": (
        {"consumerVersionSelectors": [{"branch": "x", "environment": "prod"}]},
        {SELECTOR: "branch keys cannot be combined with environment"},
    ),
    "mainBranch with deployed": (
        {"consumerVersionSelectors": [{"mainBranch": True, "deployed": True}]},
        {SELECTOR: "branch keys cannot be combined with environment"},
    ),
    "deployed with released": (
        {"consumerVersionSelectors": [{"deployed": True, "released": True}]},
        {SELECTOR: "deployed and released cannot both be set"},
    ),
    "fallbackTag without latest": (
        {"consumerVersionSelectors": [{"tag": "x", "fallbackTag": "y"}]},
        {SELECTOR: "fallbackTag can only be set with tag and latest: true"},
    ),
    "fallbackBranch without branch": (
        {"consumerVersionSelectors": [{"tag": "x", "fallbackBranch": "y"}]},
        {SELECTOR: "fallbackBranch can only be set with branch"},
    ),
    "branch with latest false": (
        {"consumerVersionSelectors": [{"branch": "x", "latest": False}]},
        {SELECTOR: "branch cannot be combined with latest: false"},
    ),
    "pending not a boolean": (
        {"includePendingStatus": "yes"},
        {"includePendingStatus": "must be a boolean"},
    ),
    "WIP date not a date": (
        {"includeWipPactsSince": "last week", "providerVersionBranch": "main"},
        {"includeWipPactsSince": "must be a date"},
    ),
    "WIP date a number": (
        {"includeWipPactsSince": 20240101, "providerVersionBranch": "main"},
        {"includeWipPactsSince": "must be a date"},
    ),
    "provider tags a string": (
        {"providerVersionTags": "dev"},
        {"providerVersionTags": "must be a list of non-blank strings"},
    ),
    "provider tags with a blank": (
        {"providerVersionTags": ["dev", ""]},
        {"providerVersionTags": "must be a list of non-blank strings"},
    ),
    "blank provider branch with pending": (
        {"providerVersionBranch": "", "includePendingStatus": True},
        {"providerVersionBranch": "cannot be blank when pending or WIP pacts are requested"},
    ),
    "provider branch not a string": (
        {"providerVersionBranch": ["main"]},
        {"providerVersionBranch": "must be a non-blank string"},
    ),
}


@pytest.mark.parametrize(("body", "expected"), list(INVALID.values()), ids=list(INVALID))
def test_invalid_requests(body: dict[str, Any], expected: dict[str, str]) -> None:
    with pytest.raises(Invalid) as raised:
        parse_query(body)

    errors = raised.value.errors
    assert isinstance(errors, dict)
    for field, message in expected.items():
        assert any(message in m for m in errors.get(field, [])), errors


def test_every_problem_is_reported_at_once() -> None:
    body = {
        "consumerVersionSelectors": [{"tag": "x"}, {}, {"deployed": True, "released": True}],
        "includePendingStatus": "yes",
        "providerVersionTags": "dev",
    }

    with pytest.raises(Invalid) as raised:
        parse_query(body)

    assert sorted(raised.value.errors) == [
        "consumerVersionSelectors.1",
        "consumerVersionSelectors.2",
        "includePendingStatus",
        "providerVersionTags",
    ]


def test_a_blank_provider_branch_is_fine_with_tags() -> None:
    query = parse_query({"providerVersionTags": ["dev"], "includePendingStatus": True})

    assert (query.provider_branch, query.provider_tags) == (None, ("dev",))


# --- descriptions --------------------------------------------------------------------------

DESCRIPTIONS: dict[str, tuple[Selector, dict[str, Any], str]] = {
    "overall latest": (Selector(latest=True), {}, "latest"),
    "overall latest of a consumer": (Selector(consumer="Foo", latest=True), {}, "latest"),
    "main branch": (Selector(main_branch=True, consumer="Foo"), {}, "latest from main branch"),
    "branch": (Selector(branch="feat-x"), {}, "latest from branch feat-x"),
    "matching branch": (
        Selector(branch="feat-x", matching_branch=True),
        {},
        "latest from branch feat-x",
    ),
    "branch fallback": (
        Selector(branch="feat-x", fallback_branch="main"),
        {"fallback": True},
        "latest from branch main",
    ),
    "latest with tag": (Selector(tag="prod", latest=True), {}, "latest with tag prod"),
    "tag fallback": (
        Selector(tag="prod", latest=True, fallback_tag="main"),
        {"fallback": True},
        "latest with tag main",
    ),
    "all with tag": (Selector(tag="prod"), {}, "one of prod"),
    "all with tag of a consumer": (Selector(tag="prod", consumer="Foo"), {}, "one of Foo prod"),
    "deployed, environment from the version": (
        Selector(deployed=True),
        {"environment": "test"},
        "deployed to test",
    ),
    "deployed to a named environment": (
        Selector(deployed=True, environment="prod"),
        {"environment": "prod"},
        "deployed to prod",
    ),
    "released, environment from the version": (
        Selector(released=True),
        {"environment": "store"},
        "released in store",
    ),
    "deployed, no environment known": (Selector(deployed=True), {}, "currently deployed"),
    "released, no environment known": (Selector(released=True), {}, "currently released"),
    "deployed or released": (
        Selector(deployed=True, released=True),
        {"environment": "test"},
        "deployed or released to test",
    ),
    "an environment alone": (
        Selector(environment="test"),
        {},
        "deployed or released to test",
    ),
}


@pytest.mark.parametrize(
    ("selector", "options", "expected"), list(DESCRIPTIONS.values()), ids=list(DESCRIPTIONS)
)
def test_describe(selector: Selector, options: dict[str, Any], expected: str) -> None:
    assert describe(selector, **options) == expected


# --- pending -------------------------------------------------------------------------------

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def verified(
    minute: int,
    *,
    branches: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    success: bool = True,
    naive: bool = False,
) -> ProviderVerification:
    moment = at(minute).replace(tzinfo=None) if naive else at(minute)
    return ProviderVerification(1, success, False, moment, frozenset(branches), frozenset(tags))


PendingCase = tuple[list[ProviderVerification], str | None, tuple[str, ...], dict[str, Any], bool]

PENDING: dict[str, PendingCase] = {
    # With a provider branch.
    "branch: never verified": ([], "main", (), {"main": at(0)}, True),
    "branch: verified on it": (
        [verified(5, branches=("main",))],
        "main",
        (),
        {"main": at(0)},
        False,
    ),
    "branch: only failed on it": (
        [verified(5, branches=("main",), success=False)],
        "main",
        (),
        {"main": at(0)},
        True,
    ),
    "branch: verified on another branch, branch not created yet": (
        [verified(5, branches=("feat",))],
        "main",
        (),
        {"main": None},
        False,
    ),
    "branch: verified on another branch before it was created": (
        [verified(5, branches=("feat",))],
        "main",
        (),
        {"main": at(10)},
        False,
    ),
    "branch: verified on another branch after it was created": (
        [verified(15, branches=("feat",))],
        "main",
        (),
        {"main": at(10)},
        True,
    ),
    "branch: verified by a version on no branch, branch not created yet": (
        [verified(5)],
        "main",
        (),
        {"main": None},
        True,
    ),
    "branch: verified by a version on no branch before it was created": (
        [verified(5, tags=("prod",))],
        "main",
        (),
        {"main": at(10)},
        True,
    ),
    "branch: naive database time (SQLite) before creation": (
        [verified(5, branches=("feat",), naive=True)],
        "main",
        (),
        {"main": at(10)},
        False,
    ),
    "branch: a branch wins over tags": (
        [verified(5, tags=("dev",))],
        "main",
        ("dev",),
        {"main": at(0), "dev": at(0)},
        True,
    ),
    # With provider tags only.
    "tags: verified with the tag": ([verified(5, tags=("dev",))], None, ("dev",), {}, False),
    "tags: never verified": ([], None, ("dev",), {"dev": None}, True),
    "tags: verified with another tag before first use": (
        [verified(5, tags=("prod",))],
        None,
        ("dev",),
        {"dev": at(10)},
        False,
    ),
    "tags: verified with another tag after first use": (
        [verified(15, tags=("prod",))],
        None,
        ("dev",),
        {"dev": at(10)},
        True,
    ),
    "tags: verified by an untagged version": ([verified(5)], None, ("dev",), {"dev": None}, True),
    "tags: pending while any tag is": (
        [verified(5, tags=("dev",))],
        None,
        ("dev", "qa"),
        {"dev": at(0), "qa": at(0)},
        True,
    ),
    "tags: verified with each": (
        [verified(5, tags=("dev",)), verified(6, tags=("qa",))],
        None,
        ("dev", "qa"),
        {"dev": at(0), "qa": at(0)},
        False,
    ),
    # With neither.
    "neither: never verified": ([], None, (), {}, True),
    "neither: verified by any version": ([verified(5)], None, (), {}, False),
    "neither: only failures": ([verified(5, success=False)], None, (), {}, True),
}


@pytest.mark.parametrize(
    ("verifications", "branch", "tags", "first_use", "expected"),
    list(PENDING.values()),
    ids=list(PENDING),
)
def test_is_pending(
    verifications: list[ProviderVerification],
    branch: str | None,
    tags: tuple[str, ...],
    first_use: dict[str, datetime | None],
    expected: bool,
) -> None:
    pending = is_pending(
        verifications, provider_branch=branch, provider_tags=tags, first_use=first_use
    )

    assert pending is expected
