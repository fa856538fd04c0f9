"""A failed verification's testResults as the lines a can-i-deploy refusal names."""

from __future__ import annotations

import math
from typing import Any

import pytest

from contract_broker.services.matrix.failures import (
    FAILURES_SHOWN,
    failed_interactions,
    failure_lines,
    short_version,
)

MISSING_NAME = {
    "attribute": "body",
    "identifier": "$",
    "description": "Actual map is missing the following keys: name",
}


def entry(description: str, success: bool, *mismatches: Any) -> dict[str, Any]:
    return {
        "interactionId": f"id-{description}",
        "interactionDescription": description,
        "success": success,
        "mismatches": list(mismatches),
    }


def lines(test_results: Any, version: str | None = "2.0.0") -> tuple[str, ...]:
    return failure_lines(
        test_results, provider="user-service", provider_version=version, consumer="billing-service"
    )


def test_names_the_failing_interaction_and_its_mismatch() -> None:
    results = [
        entry("a request for user 123", False, MISSING_NAME),
        entry("a request for an unknown user", True),
    ]
    assert lines(results) == (
        'user-service 2.0.0 fails billing-service\'s "a request for user 123": '
        "body $ — Actual map is missing the following keys: name",
    )


def test_a_commit_sha_is_shortened_and_other_numbers_are_not() -> None:
    sha = "4f2a1b3c9d8e7f60112233445566778899aabbcc"
    assert short_version(sha) == "4f2a1b3c…"
    assert short_version("1.2.3") == "1.2.3"
    assert short_version("feature-4f2a1b3c9d8e7f6011") == "feature-4f2a1b3c9d8e7f6011"
    assert lines([entry("x", False, MISSING_NAME)], version=sha)[0].startswith(
        "user-service 4f2a1b3c… fails"
    )


def test_big_pacts_are_capped_and_counted() -> None:
    results = [entry(f"interaction {i}", False, MISSING_NAME) for i in range(15)]
    found = lines(results)
    assert len(found) == FAILURES_SHOWN + 1
    assert [line.split('"')[1] for line in found[:-1]] == [
        "interaction 0",
        "interaction 1",
        "interaction 2",
    ]
    assert found[-1] == "and 12 more failing interactions"
    assert lines(results[:4])[-1] == "and 1 more failing interaction"


def test_many_mismatches_of_one_interaction_are_capped() -> None:
    mismatches = [
        {"attribute": "body", "identifier": f"$.f{i}", "description": "wrong"} for i in range(5)
    ]
    (line,) = lines([entry("x", False, *mismatches)])
    assert line.endswith("body $.f0 — wrong; body $.f1 — wrong; body $.f2 — wrong (and 2 more)")


def test_status_and_error_shapes() -> None:
    status = {"attribute": "status", "description": "expected 200 but was 500"}
    error = {"exception": {"message": "connection refused"}}
    (first, second) = lines([entry("a", False, status), entry("b", False, error)])
    assert first.endswith('"a": status — expected 200 but was 500')
    assert second.endswith('"b": connection refused')


def test_the_ruby_verifiers_shape() -> None:
    results = {"tests": [{"testDescription": "a request", "success": False, "mismatches": []}]}
    assert lines(results) == ('user-service 2.0.0 fails billing-service\'s "a request"',)


@pytest.mark.parametrize(
    "test_results",
    [None, [], {}, "text", 3, math.nan, [None, "x", 1], [{"success": True}], {"tests": "x"}],
)
def test_nothing_usable_names_nothing(test_results: Any) -> None:
    assert lines(test_results) == ()
    assert failed_interactions(test_results) == ([], 0)


def test_hostile_text_stays_on_one_bounded_line() -> None:
    hostile = entry(
        "line one\r\nInjected: header\u2028next\x00",
        False,
        {"attribute": "body\n", "identifier": ["$", 1], "description": "x" * 10_000},
        "a bare string\rwith CR",
        {"attribute": math.nan},
    )
    (line,) = lines([hostile])
    assert not {"\r", "\n", "\x00", "\u2028"} & set(line)
    assert '"line one Injected: header next"' in line
    assert len(line) < 800
    assert "a bare string with CR" in line
    assert "nan" in line
