"""The matrix rules as tables: query parsing, selector descriptions, latestby, the decision."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import pytest

from contract_broker.repositories.matrix import IntegrationRef, MatrixRow, VersionRef
from contract_broker.services.matrix import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    NO_ID,
    Integration,
    Kind,
    Options,
    Resolved,
    Selector,
    apply_latestby,
    group_selectors,
    merge_integrations,
    parse_can_i_deploy_query,
    parse_matrix_query,
    resolve_selector,
    sort_rows,
    split_ignored,
    summarize,
    validate_matrix_query,
)

WHEN = datetime(2026, 1, 1, tzinfo=UTC)
FOO, BAR, BAZ = 1, 2, 3
NAMES = {FOO: "Foo", BAR: "Bar", BAZ: "Baz"}


def items(query: str) -> list[tuple[str, str]]:
    """The decoded query items, as Starlette hands them over."""
    return parse_qsl(query, keep_blank_values=True)


def row(
    consumer: int = FOO,
    consumer_version: int = 10,
    provider: int = BAR,
    provider_version: int | None = 20,
    success: bool | None = True,
    verification: int | None = None,
    publication: int = 1,
) -> MatrixRow:
    """A matrix row; version numbers are the ids as text."""
    verified = provider_version is not None
    return MatrixRow(
        pact_publication_id=publication,
        consumer_id=consumer,
        consumer_name=NAMES[consumer],
        consumer_version_id=consumer_version,
        consumer_version_number=str(consumer_version),
        provider_id=provider,
        provider_name=NAMES[provider],
        pact_version_id=publication,
        pact_version_sha="abc",
        pact_revision=1,
        pact_created_at=WHEN,
        verification_id=(verification or provider_version) if verified else None,
        verification_number=1 if verified else None,
        success=success if verified else None,
        verified_at=WHEN if verified else None,
        provider_version_id=provider_version,
        provider_version_number=str(provider_version) if verified else None,
    )


def specified(pacticipant: int, version_id: int | None, **original: Any) -> Resolved:
    """A specified selector resolved to ``version_id`` (None: every version; NO_ID: none)."""
    selector = Selector(pacticipant=NAMES[pacticipant], **original)
    if version_id is None:
        return Resolved(pacticipant, NAMES[pacticipant], selector, Kind.SPECIFIED)
    ref = None if version_id == NO_ID else VersionRef(version_id, pacticipant, str(version_id))
    [resolved] = resolve_selector(
        selector,
        pacticipant=(pacticipant, NAMES[pacticipant]),
        versions=[ref] if ref else [],
        kind=Kind.SPECIFIED,
    )
    return resolved


def inferred(pacticipant: int, versions: list[int], **original: Any) -> list[Resolved]:
    selector = Selector(pacticipant=NAMES[pacticipant], **original)
    return resolve_selector(
        selector,
        pacticipant=(pacticipant, NAMES[pacticipant]),
        versions=[VersionRef(v, pacticipant, str(v)) for v in versions],
        kind=Kind.INFERRED,
    )


# ---------------------------------------------------------------- positional grouping


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        pytest.param(
            [("pacticipant", "A"), ("version", "1"), ("pacticipant", "B"), ("version", "2")],
            [{"pacticipant": "A", "version": "1"}, {"pacticipant": "B", "version": "2"}],
            id="interleaved: a repeated key starts a selector",
        ),
        pytest.param(
            [("pacticipant", "A"), ("version", "1"), ("pacticipant", "B"), ("latest", "true")],
            [{"pacticipant": "A", "version": "1"}, {"pacticipant": "B", "latest": "true"}],
            id="a key new to the last selector joins it",
        ),
        pytest.param(
            [("pacticipant", "A"), ("pacticipant", "B"), ("version", "1"), ("version", "2")],
            [{"pacticipant": "A", "version": "1"}, {"pacticipant": "B", "version": "2"}],
            id="grouped keys are paired by index",
        ),
        pytest.param(
            [("pacticipant", "A"), ("pacticipant", "B"), ("version", "1")],
            [{"pacticipant": "A"}, {"pacticipant": "B", "version": "1"}],
            id="positional when that gives every selector a pacticipant",
        ),
        pytest.param(
            [("pacticipant", "A"), ("version", "1"), ("version", "2")],
            [{"pacticipant": "A", "version": "1"}, {"version": "2"}],
            id="a version without its pacticipant stays alone",
        ),
        pytest.param([], [], id="nothing"),
    ],
)
def test_group_selectors(pairs: list[tuple[str, str]], expected: list[dict[str, str]]) -> None:
    assert group_selectors(pairs) == expected


# ---------------------------------------------------------------- what the CLI sends


@pytest.mark.parametrize(
    ("query", "selectors", "options"),
    [
        pytest.param(
            "q[][pacticipant]=Foo&q[][version]=1&latestby=cvpv&environment=test",
            [Selector("Foo", "1")],
            Options(latestby="cvpv", environment="test"),
            id="--to-environment",
        ),
        pytest.param(
            "q[][pacticipant]=Foo&q[][version]=1&latestby=cvp&latest=true",
            [Selector("Foo", "1")],
            Options(latestby="cvp", latest=True),
            id="no target",
        ),
        pytest.param(
            "q[][pacticipant]=Foo&q[][version]=1&tag=prod&latestby=cvp&latest=true",
            [Selector("Foo", "1")],
            Options(latestby="cvp", latest=True, tag="prod"),
            id="--to tag",
        ),
        pytest.param(
            "q[][pacticipant]=Foo&q[][version]=1&q[][pacticipant]=Bar&q[][version]=2&latestby=cvpv",
            [Selector("Foo", "1"), Selector("Bar", "2")],
            Options(latestby="cvpv"),
            id="two pacticipants",
        ),
        pytest.param(
            "q[][pacticipant]=Foo&q[][latest]=true&latestby=cvpv&environment=test",
            [Selector("Foo", latest=True)],
            Options(latestby="cvpv", environment="test"),
            id="--latest",
        ),
        pytest.param(
            "q[][pacticipant]=Foo&q[][latest]=true&q[][tag]=dev&latestby=cvpv&environment=test",
            [Selector("Foo", latest=True, tag="dev")],
            Options(latestby="cvpv", environment="test"),
            id="--latest TAG",
        ),
        pytest.param(
            "q[][pacticipant]=Foo&q[][branch]=main&latestby=cvpv&environment=production",
            [Selector("Foo", branch="main")],
            Options(latestby="cvpv", environment="production"),
            id="--branch",
        ),
        pytest.param(
            "q[][pacticipant]=Foo&q[][version]=1&ignore[][pacticipant]=Baz"
            "&ignore[][pacticipant]=Bar&ignore[][version]=3&latestby=cvpv&environment=test",
            [Selector("Foo", "1")],
            Options(
                latestby="cvpv",
                environment="test",
                ignore=(Selector("Baz"), Selector("Bar", "3")),
            ),
            id="--ignore",
        ),
        pytest.param(
            "q[][pacticipant]=Foo&q[][version]=1&latestby=cvp&latest=true&mainBranch=true",
            [Selector("Foo", "1")],
            Options(latestby="cvp", latest=True, main_branch=True),
            id="can-i-merge",
        ),
        pytest.param(
            "q%5B%5D%5Bpacticipant%5D=Foo+Bar&q%5B%5D%5Bversion%5D=1.0%20beta",
            [Selector("Foo Bar", "1.0 beta")],
            Options(),
            id="encoded brackets and values",
        ),
        pytest.param(
            "q[][pacticipant]=Foo&q[][version]=&q[][latest]=false&q[][mainBranch]=true"
            "&latest=&tag=&environment=&mainBranch=false&limit=&latestby=",
            [Selector("Foo", main_branch=True)],
            Options(main_branch=False),
            id="empty values are absent",
        ),
        pytest.param(
            "q[1][pacticipant]=Bar&q[0][pacticipant]=Foo&q[0][version]=1",
            [Selector("Foo", "1"), Selector("Bar")],
            Options(),
            id="numbered selectors",
        ),
        pytest.param(
            "q[]=Foo&success[]=true&success[]=&success[]=false&limit=5",
            [Selector()],
            Options(success=(True, None, False), limit=5),
            id="bare q[] has no pacticipant; success list; limit",
        ),
        pytest.param(
            "q[][pacticipant]=Foo&success=false&limit=99999999999999999999999",
            [Selector("Foo")],
            Options(success=(False,), limit=MAX_LIMIT),
            id="single success; huge limit is capped",
        ),
    ],
)
def test_parse_matrix_query(query: str, selectors: list[Selector], options: Options) -> None:
    parsed = parse_matrix_query(items(query))
    assert list(parsed.selectors) == selectors
    assert parsed.options == options
    assert parsed.problems == ()


@pytest.mark.parametrize(
    ("query", "known", "environment_exists", "errors"),
    [
        pytest.param("q[][pacticipant]=Foo&q[][version]=1", {"Foo"}, False, [], id="valid"),
        pytest.param("", set(), False, ["Please provide 1 or more version selectors."], id="none"),
        pytest.param(
            "q[][version]=1",
            set(),
            False,
            ["Please specify the pacticipant name"],
            id="no pacticipant",
        ),
        pytest.param(
            "q[][pacticipant]=Foo&q[][version]=1&q[][latest]=true",
            {"Foo"},
            False,
            ["A version number and latest flag cannot both be specified for Foo"],
            id="version and latest",
        ),
        pytest.param(
            "q[][pacticipant]=Foo&q[][pacticipant]=Bar",
            {"Foo"},
            False,
            ["Pacticipant Bar not found"],
            id="unknown pacticipant",
        ),
        pytest.param(
            "q[][pacticipant]=Foo&environment=nowhere",
            {"Foo"},
            False,
            ["Environment with name 'nowhere' does not exist"],
            id="unknown environment",
        ),
        pytest.param(
            "q[][pacticipant]=Foo&environment=test&latest=true",
            {"Foo"},
            True,
            ["Cannot specify both latest=true and an environment."],
            id="latest and environment",
        ),
        pytest.param(
            "q[][pacticipant]=Foo&environment=test&tag=prod",
            {"Foo"},
            True,
            ["Cannot specify more than one of tag, environment and mainBranch."],
            id="two destinations",
        ),
        pytest.param(
            "q[][pacticipant]=Foo&tag=prod&mainBranch=false",
            {"Foo"},
            True,
            ["Cannot specify more than one of tag, environment and mainBranch."],
            id="mainBranch=false still names a destination",
        ),
        pytest.param(
            "q[][pacticipant]=Foo&ignore[][pacticipant]=Bar&ignore[][version]=1"
            "&ignore[][latest]=true&ignore[][version]=2",
            {"Foo"},
            True,
            [
                "A version number and latest flag cannot both be specified for Bar to ignore",
                "Please specify the pacticipant name to ignore",
            ],
            id="bad ignore selectors",
        ),
        pytest.param(
            "q[][pacticipant]=Foo&ignore[][pacticipant]=Unknown",
            {"Foo"},
            True,
            [],
            id="an unknown pacticipant to ignore is only a warning",
        ),
        pytest.param(
            "q[][pacticipant]=Foo&limit=0",
            {"Foo"},
            True,
            ["The limit must be 1 or greater."],
            id="limit 0",
        ),
        pytest.param(
            "q[][pacticipant]=Foo&limit=abc",
            {"Foo"},
            True,
            ["The limit must be 1 or greater."],
            id="limit not a number",
        ),
        pytest.param(
            "q[][pacticipant]=Foo&latestby=everything",
            {"Foo"},
            True,
            ["latestby must be one of cvpv, cvp, cp (got 'everything')."],
            id="unknown latestby",
        ),
        pytest.param(
            "q[][pacticipant]=Fo%00o",
            set(),
            True,
            ["Pacticipant Fo\x00o not found", "Query parameters cannot contain a NUL character."],
            id="NUL",
        ),
    ],
)
def test_validate_matrix_query(
    query: str, known: set[str], environment_exists: bool, errors: list[str]
) -> None:
    parsed = parse_matrix_query(items(query))
    assert (
        validate_matrix_query(
            parsed, known_pacticipants=known, environment_exists=environment_exists
        )
        == errors
    )


@pytest.mark.parametrize(
    ("query", "selector", "options", "errors"),
    [
        pytest.param(
            "pacticipant=Foo&version=1&environment=test",
            Selector("Foo", "1"),
            Options(latestby="cvpv", limit=None, environment="test"),
            {},
            id="environment: cvpv",
        ),
        pytest.param(
            "pacticipant=Foo&version=1&to=prod&ignore[]=Bar&ignore[][pacticipant]=Baz"
            "&ignore[][version]=3",
            Selector("Foo", "1"),
            Options(
                latestby="cvp",
                limit=None,
                latest=True,
                tag="prod",
                ignore=(Selector("Bar"), Selector("Baz", "3")),
            ),
            {},
            id="to tag: cvp and latest",
        ),
        pytest.param(
            "version=&to=prod&environment=test",
            Selector(),
            Options(latestby="cvpv", limit=None, latest=True, tag="prod", environment="test"),
            {
                "pacticipant": ["is missing"],
                "version": ["can't be blank"],
                "base": ["Cannot specify both a 'to' tag and an environment."],
            },
            id="bad",
        ),
        pytest.param(
            "pacticipant=Foo&version=1",
            Selector("Foo", "1"),
            Options(latestby="cvp", limit=None),
            {"base": ["Must specify either an environment or a 'to' tag."]},
            id="no target",
        ),
    ],
)
def test_parse_can_i_deploy_query(
    query: str, selector: Selector, options: Options, errors: dict[str, list[str]]
) -> None:
    parsed, found = parse_can_i_deploy_query(items(query))
    assert parsed.selectors == (selector,)
    assert parsed.options == options
    assert found == errors


def test_default_limit() -> None:
    assert parse_matrix_query(items("q[][pacticipant]=Foo")).options.limit == DEFAULT_LIMIT


# ---------------------------------------------------------------- descriptions


def resolved(number: str | None = "1", version_id: int | None = 5, **fields: Any) -> Resolved:
    return Resolved(
        BAR,
        "Bar",
        Selector("Bar"),
        Kind.INFERRED,
        version_id=version_id,
        version_number=number,
        **fields,
    )


@pytest.mark.parametrize(
    ("selector", "description"),
    [
        (resolved(latest=True, tag="prod"), "the latest version of Bar with tag prod (1)"),
        (
            resolved(None, NO_ID, latest=True, tag="prod"),
            "the latest version of Bar with tag prod (no such version exists)",
        ),
        (
            resolved(None, NO_ID, latest=True, main_branch=True),
            "the latest version of Bar from the main branch (no versions exist for this branch)",
        ),
        (
            resolved(None, NO_ID, main_branch=True),
            "any version of Bar from the main branch (no versions exist for this branch)",
        ),
        (
            resolved(latest=True, main_branch=True, branch="main"),
            "the latest version of Bar from branch main (1)",
        ),
        (resolved(latest=True, branch="dev"), "the latest version of Bar from branch dev (1)"),
        (
            resolved(None, NO_ID, latest=True, branch="dev"),
            "the latest version of Bar from branch dev (no such version exists)",
        ),
        (resolved(branch="dev"), "the version of Bar from branch dev (1)"),
        (
            resolved(branch="dev", one_of_many=True),
            "one of the versions of Bar from branch dev (1)",
        ),
        (
            resolved(None, NO_ID, branch="dev"),
            "a version of Bar from branch dev (no such version exists)",
        ),
        (resolved(latest=True), "the latest version of Bar (1)"),
        (resolved(None, NO_ID, latest=True), "the latest version of Bar (no such version exists)"),
        (resolved(tag="prod"), "a version of Bar with tag prod (1)"),
        (
            resolved(None, NO_ID, tag="prod"),
            "a version of Bar with tag prod (no such version exists)",
        ),
        (resolved(environment="production"), "the version of Bar currently in production (1)"),
        (
            resolved(environment="production", one_of_many=True),
            "one of the versions of Bar currently in production (1)",
        ),
        (
            resolved(None, NO_ID, environment="production"),
            "a version of Bar currently in production (no version is currently recorded as "
            "deployed/released in this environment)",
        ),
        (resolved("9", NO_ID), "version 9 of Bar (no such version exists)"),
        (resolved("1"), "version 1 of Bar"),
        (resolved(None, None), "any version of Bar"),
        (
            Resolved(NO_ID, "Nobody", Selector("Nobody"), Kind.IGNORE),
            "any version of Nobody (no such pacticipant exists)",
        ),
    ],
)
def test_description(selector: Resolved, description: str) -> None:
    assert selector.description() == description


@pytest.mark.parametrize(
    ("selector", "text"),
    [
        (resolved(None, NO_ID, tag="prod"), "No version with tag prod exists for Bar"),
        (resolved(None, NO_ID, branch="dev"), "No version of Bar from branch dev exists"),
        (resolved(None, NO_ID, main_branch=True), "No version of Bar from the main branch exists"),
        (
            resolved(None, NO_ID, environment="test"),
            "No version of Bar is currently recorded as deployed or released in environment test",
        ),
        (
            resolved("9", NO_ID),
            "No pacts or verifications have been published for version 9 of Bar",
        ),
        (resolved(None, NO_ID), "No pacts or verifications have been published for Bar"),
        (resolved("1", 5), ""),
    ],
)
def test_missing_description(selector: Resolved, text: str) -> None:
    assert selector.missing_description() == text


# ---------------------------------------------------------------- resolving


def test_latest_resolves_to_the_newest_version() -> None:
    [only] = inferred(BAR, [3, 7, 5], latest=True)
    assert (only.version_id, only.version_number, only.one_of_many) == (7, "7", False)


def test_several_versions_are_one_of_many() -> None:
    found = inferred(BAR, [3, 7], environment="production")
    assert [(s.version_id, s.one_of_many) for s in found] == [(3, True), (7, True)]
    assert found[1].description() == "one of the versions of Bar currently in production (7)"


@pytest.mark.parametrize("options", [{"environment": "production"}, {"latest": True}, {}])
def test_no_version_found_is_a_selector_that_matches_nothing(options: dict[str, Any]) -> None:
    [only] = inferred(BAR, [], **options)
    assert only.version_id == NO_ID
    assert not only.version_exists


def test_every_version_selector_has_no_version() -> None:
    [only] = resolve_selector(
        Selector("Bar"), pacticipant=(BAR, "Bar"), versions=None, kind=Kind.SPECIFIED
    )
    assert only.version_id is None
    assert only.only_pacticipant
    assert only.version_exists


def test_main_branch_selector_takes_the_branch_name_of_its_version() -> None:
    [only] = resolve_selector(
        Selector("Bar", main_branch=True, latest=True),
        pacticipant=(BAR, "Bar"),
        versions=[VersionRef(4, BAR, "4", branch="trunk")],
        kind=Kind.INFERRED,
    )
    assert only.description() == "the latest version of Bar from branch trunk (4)"


@pytest.mark.parametrize(
    ("ignore", "ignored"),
    [
        ([Selector("Bar")], [True, True]),
        ([Selector("Bar", "3")], [True, False]),
        ([Selector("Foo")], [False, False]),
    ],
)
def test_ignore_marks_resolved_selectors(ignore: list[Selector], ignored: list[bool]) -> None:
    ignore_selectors = [
        s
        for selector in ignore
        for s in resolve_selector(
            selector,
            pacticipant=(FOO if selector.pacticipant == "Foo" else BAR, selector.pacticipant or ""),
            versions=None if selector.version is None else [VersionRef(3, BAR, "3")],
            kind=Kind.IGNORE,
        )
    ]
    found = resolve_selector(
        Selector("Bar", environment="production"),
        pacticipant=(BAR, "Bar"),
        versions=[VersionRef(3, BAR, "3"), VersionRef(4, BAR, "4")],
        kind=Kind.INFERRED,
        ignore=ignore_selectors,
    )
    assert [s.ignore for s in found] == ignored


def test_unknown_pacticipant() -> None:
    [only] = resolve_selector(Selector("Who"), pacticipant=None, versions=None, kind=Kind.IGNORE)
    assert (only.pacticipant_id, only.pacticipant_exists) == (NO_ID, False)


# ---------------------------------------------------------------- integrations


def test_integrations_are_deduplicated_preferring_required() -> None:
    foo_bar = IntegrationRef(FOO, "Foo", BAR, "Bar")
    baz_foo = IntegrationRef(BAZ, "Baz", FOO, "Foo")
    found = merge_integrations([foo_bar], [foo_bar, baz_foo])
    assert found == [
        Integration(BAZ, "Baz", FOO, "Foo", required=False),
        Integration(FOO, "Foo", BAR, "Bar", required=True),
    ]


# ---------------------------------------------------------------- rows


@pytest.mark.parametrize(
    ("latestby", "kept"),
    [
        (None, [(10, 21), (10, 20), (11, 20), (11, None)]),
        ("cvpv", [(10, 21), (10, 20), (11, 20), (11, None)]),
        ("cvp", [(10, 21), (11, 20), (11, None)]),
        ("cp", [(10, 21), (11, None)]),
    ],
)
def test_apply_latestby(latestby: str | None, kept: list[tuple[int, int | None]]) -> None:
    # Newest action first, as the rows come from the database.
    rows = [
        row(FOO, 10, BAR, 21),
        row(FOO, 10, BAR, 20),
        row(FOO, 11, BAR, 20),
        row(FOO, 11, BAZ, None),
    ]
    found = apply_latestby(rows, latestby)
    assert [(r.consumer_version_id, r.provider_version_id) for r in found] == kept


def test_latestby_keeps_an_unverified_row_leading_its_group() -> None:
    rows = [row(FOO, 11, BAR, None), row(FOO, 10, BAR, 20)]
    assert apply_latestby(rows, "cp") == [rows[0]]


def test_split_ignored() -> None:
    ignore = [specified(BAR, None)]
    rows = [row(FOO, 10, BAR, 20), row(FOO, 10, BAZ, 30)]
    assert split_ignored(rows, ignore) == ([rows[1]], [rows[0]])


def test_split_ignored_by_version() -> None:
    ignore = [specified(BAR, 20, version="20")]
    rows = [row(FOO, 10, BAR, 20), row(FOO, 10, BAR, 21), row(FOO, 10, BAR, None)]
    assert split_ignored(rows, ignore) == ([rows[1], rows[2]], [rows[0]])


def test_sort_rows() -> None:
    rows = [
        row(FOO, 10, BAR, 20),
        row(FOO, 11, BAR, 20),
        row(FOO, 11, BAR, None),
        row(FOO, 11, BAZ, 30),
        row(BAR, 5, BAZ, 30),
    ]
    assert sort_rows(rows) == [rows[4], rows[2], rows[1], rows[3], rows[0]]


# ---------------------------------------------------------------- the decision

NOT_VERIFIED_IN_PROD = (
    "There is no verified pact between version 10 of Foo and a version of Bar currently in "
    "production (no version is currently recorded as deployed/released in this environment)"
)
ALL_GOOD = "All required verification results are published and successful"
NO_ENVIRONMENT = (
    "WARN: It is recommended to specify the environment into which you are deploying. "
    "Without the environment, this result will not be reliable."
)
NO_VERSION = (
    "WARN: It is recommended to specify the version number (rather than the tag or branch) "
    "of the pacticipant you wish to deploy to avoid race conditions. Without a version "
    "number, this result will not be reliable."
)
FOO_BAR = Integration(FOO, "Foo", BAR, "Bar", required=True)
PROD = Options(latestby="cvpv", environment="production")


def decide(
    rows: list[MatrixRow],
    selectors: list[Resolved],
    *,
    integrations: list[Integration] | None = None,
    options: Options = PROD,
    ignore: list[Resolved] | None = None,
) -> tuple[bool | None, str, dict[str, int], list[str]]:
    ignore = ignore or []
    considered, ignored = split_ignored(rows, ignore)
    summary = summarize(
        considered=considered,
        ignored=ignored,
        selectors=selectors,
        ignore_selectors=ignore,
        integrations=[FOO_BAR] if integrations is None else integrations,
        options=options,
    )
    return summary.deployable, summary.reason, summary.counts, [r.type for r in summary.reasons]


COUNTS_OK = {"success": 1, "failed": 0, "unknown": 0}


@pytest.mark.parametrize(
    ("rows", "selectors", "extra", "expected"),
    [
        pytest.param(
            [row(FOO, 10, BAR, 20, True)],
            [specified(FOO, 10, version="10"), *inferred(BAR, [20], environment="production")],
            {},
            (True, ALL_GOOD, COUNTS_OK, ["success"]),
            id="verified by the provider in the environment",
        ),
        pytest.param(
            [row(FOO, 10, BAR, None)],
            [specified(FOO, 10, version="10"), *inferred(BAR, [], environment="production")],
            {},
            (None, NOT_VERIFIED_IN_PROD, {"success": 0, "failed": 0, "unknown": 1}, ["error"]),
            id="nothing deployed: unknown",
        ),
        pytest.param(
            [row(FOO, 10, BAR, 20, False)],
            [specified(FOO, 10, version="10"), *inferred(BAR, [20], environment="production")],
            {},
            (
                False,
                "The verification for the pact between version 10 of Foo and the version of "
                "Bar currently in production (20) failed",
                {"success": 0, "failed": 1, "unknown": 0},
                ["error"],
            ),
            id="failed",
        ),
        pytest.param(
            [row(FOO, 10, BAR, 20, True), row(FOO, 10, BAR, 21, False)],
            [specified(FOO, 10, version="10"), *inferred(BAR, [20, 21], environment="production")],
            {},
            (
                False,
                "The verification for the pact between version 10 of Foo and one of the "
                "versions of Bar currently in production (21) failed",
                {"success": 1, "failed": 1, "unknown": 0},
                ["error"],
            ),
            id="one of two deployed versions failed",
        ),
        pytest.param(
            [],
            [specified(FOO, NO_ID, version="9"), *inferred(BAR, [20], environment="production")],
            {},
            (
                False,
                "No pacts or verifications have been published for version 9 of Foo",
                {"success": 0, "failed": 0, "unknown": 1},
                ["error"],
            ),
            id="the specified version does not exist",
        ),
        pytest.param(
            [],
            [specified(BAR, 20, version="20")],
            {"integrations": []},
            (
                True,
                "There are no missing dependencies",
                {"success": 0, "failed": 0, "unknown": 0},
                ["success"],
            ),
            id="no rows and nothing required",
        ),
        pytest.param(
            [],
            [specified(FOO, 10, version="10"), *inferred(BAR, [20], environment="production")],
            {},
            (
                None,
                "There is no verified pact between version 10 of Foo and the version of Bar "
                "currently in production (20)",
                {"success": 0, "failed": 0, "unknown": 1},
                ["error"],
            ),
            id="a required integration without a row",
        ),
        pytest.param(
            [row(FOO, 10, BAR, 20, True)],
            [specified(FOO, 10, version="10"), *inferred(BAR, [20], latest=True)],
            {"options": Options(latestby="cvp", latest=True)},
            (True, f"{NO_ENVIRONMENT}\n{ALL_GOOD}", COUNTS_OK, ["warning", "success"]),
            id="no environment: a warning",
        ),
        pytest.param(
            [row(FOO, 10, BAR, 20, True)],
            [specified(FOO, 10, latest=True), *inferred(BAR, [20], environment="production")],
            {},
            (True, f"{NO_VERSION}\n{ALL_GOOD}", COUNTS_OK, ["warning", "success"]),
            id="no version number: a warning",
        ),
        pytest.param(
            [row(FOO, 10, BAR, 20, False), row(FOO, 10, BAZ, 30, True)],
            [
                specified(FOO, 10, version="10"),
                *inferred(BAR, [20], environment="production"),
                *inferred(BAZ, [30], environment="production"),
            ],
            {"ignore": [specified(BAR, None)]},
            (True, ALL_GOOD, {**COUNTS_OK, "ignored": 1}, ["success"]),
            id="a failure of an ignored provider",
        ),
        pytest.param(
            [row(FOO, 10, BAR, 20, True)],
            [specified(FOO, 10, version="10"), *inferred(BAR, [20], environment="production")],
            {
                "ignore": [
                    Resolved(NO_ID, "Nobody", Selector("Nobody"), Kind.IGNORE),
                    specified(BAR, NO_ID, version="99"),
                ]
            },
            (
                True,
                "WARN: Cannot ignore any version of Nobody (no such pacticipant exists)\n"
                "WARN: Cannot ignore version 99 of Bar (no such version exists)\n" + ALL_GOOD,
                {**COUNTS_OK, "ignored": 0},
                ["warning", "warning", "success"],
            ),
            id="ignoring what does not exist",
        ),
        pytest.param(
            [],
            [
                Resolved(
                    FOO,
                    "Foo",
                    Selector("Foo", "9"),
                    Kind.SPECIFIED,
                    ignore=True,
                    version_id=NO_ID,
                    version_number="9",
                )
            ],
            {"integrations": [], "ignore": [specified(FOO, None)]},
            (
                True,
                "There are no missing dependencies",
                {"success": 0, "failed": 0, "unknown": 0, "ignored": 0},
                ["success"],
            ),
            id="an ignored specified version that does not exist",
        ),
    ],
)
def test_decision(
    rows: list[MatrixRow],
    selectors: list[Resolved],
    extra: dict[str, Any],
    expected: tuple[bool | None, str, dict[str, int], list[str]],
) -> None:
    assert decide(rows, selectors, **extra) == expected


def test_rows_without_a_selector_are_described_from_the_rows() -> None:
    # /matrix?q[][pacticipant]=Foo: no selector for Bar, so the row describes it.
    deployable, reason, _, _ = decide(
        [row(FOO, 10, BAR, 20, False)],
        [specified(FOO, None)],
        options=Options(),
    )
    assert deployable is False
    assert reason.endswith(
        "The verification for the pact between any version of Foo and version 20 of Bar failed"
    )
