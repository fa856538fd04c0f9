"""Provider contracts: what a hostile document or pact costs is bounded, and nothing raises.

Each test uses a size that takes seconds (or raises) without the bound it checks, and a few
milliseconds with it: a backtracking pattern, a body with thousands of undocumented fields, a
chain of YAML merge keys, numbers too long for ``int``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from contract_broker.services.provider_contracts import (
    InvalidProviderContract,
    Mismatch,
    compare,
    comparison,
    parse_document,
)
from contract_broker.services.provider_contracts.comparison import MAX_FINDINGS
from contract_broker.services.provider_contracts.document import MAX_MERGED

EVIL = "^(a+)+$"
"""Backtracks exponentially in Python's ``re``: 26 letters and a ``!`` take 2 to 3 seconds."""
EVIL_TEXT = "a" * 26 + "!"


@contextmanager
def within(seconds: float) -> Iterator[None]:
    started = time.perf_counter()
    yield
    assert time.perf_counter() - started < seconds


def document(
    schema: Any, *, version: str = "3.0.3", query: Any = None, validated: bool = True
) -> dict[str, Any]:
    get: dict[str, Any] = {
        "responses": {
            "200": {"description": "ok", "content": {"application/json": {"schema": schema}}}
        }
    }
    if query is not None:
        get["parameters"] = [{"name": "q", "in": "query", "schema": query}]
    info = {"title": "t", "version": "1"}
    text = {"openapi": version, "info": info, "paths": {"/x": {"get": get}}}
    if not validated:  # compare takes any document; 3.0 itself has no patternProperties
        return text
    return parse_document(json.dumps(text).encode(), "application/json")


def pact(body: Any = None, *, query: Any = None, status: Any = 200, spec: Any = "3.0.0") -> Any:
    request: dict[str, Any] = {"method": "GET", "path": "/x"}
    if query is not None:
        request["query"] = query
    response: dict[str, Any] = {"status": status}
    if body is not None:
        response |= {"headers": {"Content-Type": "application/json"}, "body": body}
    interaction = {"description": "d", "request": request, "response": response}
    return {"interactions": [interaction], "metadata": {"pactSpecification": {"version": spec}}}


def mismatches(result: Any) -> list[tuple[str, str, str]]:
    [interaction] = result.interactions
    return [(m.rule, m.severity, m.identifier) for m in interaction.mismatches]


# --- #2: patterns run in RE2, linear in the text --------------------------------------------


def test_a_backtracking_pattern_on_a_pact_body_value_is_linear() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string", "pattern": EVIL}}}
    contract = document(schema)

    with within(1.0):
        refused = compare(contract, pact({"name": EVIL_TEXT}))
        accepted = compare(contract, pact({"name": "a" * 100_000}))

    assert mismatches(refused) == [("response.body.incompatible", "error", "$.name")]
    assert accepted.success is True


def test_a_backtracking_pattern_on_a_query_parameter_is_linear() -> None:
    contract = document({"type": "object"}, query={"type": "string", "pattern": EVIL})

    with within(1.0):
        result = compare(contract, pact(query={"q": [EVIL_TEXT]}))

    assert mismatches(result) == [("request.query.incompatible", "error", "q")]


def test_pattern_properties_and_additional_properties_match_names_in_re2() -> None:
    schema = {"type": "object", "patternProperties": {EVIL: {}}, "additionalProperties": False}
    contract = document(schema, version="3.1.0")

    with within(1.0):
        result = compare(contract, pact({EVIL_TEXT: 1, "aaa": 2}))

    [mismatch] = result.interactions[0].mismatches
    assert mismatch.severity == "error"
    assert repr(EVIL_TEXT) in mismatch.description
    assert "'aaa'" not in mismatch.description


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_unevaluated_properties_match_pattern_properties_in_re2(version: str) -> None:
    schema = {
        "type": "object",
        "allOf": [{"properties": {"id": {"type": "integer"}}}],
        "patternProperties": {EVIL: {}},
        "unevaluatedProperties": False,
    }
    contract = document(schema, version=version, validated=version == "3.1.0")

    with within(1.0):
        result = compare(contract, pact({"id": 1, EVIL_TEXT: 1, "aaa": 2}))

    [mismatch] = result.interactions[0].mismatches
    assert mismatch.severity == "error"
    assert repr(EVIL_TEXT) in mismatch.description
    assert "'aaa'" not in mismatch.description


def test_a_pattern_re2_cannot_run_is_a_warning_not_a_check() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string", "pattern": "^(?!x)"}}}
    contract = document(schema)

    result = compare(contract, pact({"name": "xyz"}))

    assert mismatches(result) == [("schema.pattern.unchecked", "warning", "$")]
    assert "'^(?!x)'" in result.interactions[0].mismatches[0].description
    assert result.success is True


@pytest.mark.parametrize(
    ("pattern", "value", "publishes"), [("\ud800", "x", False), ("^x", "x\ud800", True)]
)
def test_lone_surrogates_leave_a_pattern_unchecked_never_raise(
    pattern: str, value: str, publishes: bool
) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string", "pattern": pattern}}}

    result = compare(document(schema, validated=False), pact({"name": value}))

    assert mismatches(result) == [("schema.pattern.unchecked", "warning", "$")]
    with_default = {"type": "string", "pattern": pattern, "default": value}
    if publishes:
        assert document(with_default)
    else:  # refused saying why, never another exception (a 500)
        with pytest.raises(InvalidProviderContract, match="not valid Unicode"):
            document(with_default)


def test_a_backtracking_pattern_on_a_default_is_linear_at_publish() -> None:
    schema = {"type": "string", "pattern": EVIL, "default": EVIL_TEXT}

    with within(1.0), pytest.raises(InvalidProviderContract, match="does not match"):
        document(schema)
    assert document({"type": "string", "pattern": EVIL, "default": "aaa"})


# --- #3: numbers too long for int, and anything else, never make compare raise -------------


@pytest.mark.parametrize("spec", ["3a", "²", "9" * 5000, "4.0.0", "", "x"])
def test_odd_spec_versions_are_read_without_raising(spec: str) -> None:
    result = compare(document({"type": "object"}), pact({}, spec=spec))

    assert result.success is True


def test_a_status_longer_than_int_reads_is_a_finding() -> None:
    result = compare(document({"type": "object"}), pact(status="2" * 5000))

    assert mismatches(result)[0] == ("response.status.unknown", "error", "")
    assert compare(document({"type": "object"}), pact(status="200")).success is True


def test_a_pact_that_cannot_be_read_at_all_is_a_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_: Any) -> Any:
        raise ValueError("Exceeds the limit (4300 digits)")

    monkeypatch.setattr(comparison, "http_interactions", broken)

    result = compare(document({"type": "object"}), pact({}))

    assert mismatches(result) == [("comparison.failed", "error", "")]
    assert "the pact cannot be read: ValueError" in result.interactions[0].mismatches[0].description


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"openapi": "3.0.3", "x": ' + b"9" * 5000 + b"}", "application/json"),
        (b"openapi: 3.0.3\nx: " + b"9" * 5000, "application/yaml"),
        (b"openapi: 3.0.3\nx: 0x" + b"f" * 5000, "application/yaml"),
        (b"openapi: 3.0.3\n? 0x" + b"f" * 5000 + b"\n: x", "application/yaml"),
    ],
)
def test_an_integer_too_long_to_store_is_refused(content: bytes, content_type: str) -> None:
    with pytest.raises(InvalidProviderContract, match="the provider contract holds"):
        parse_document(content, content_type)


# --- #4: findings are de-duplicated in constant time and capped per interaction -------------


def test_a_body_with_thousands_of_undocumented_fields_is_compared_fast_and_capped() -> None:
    contract = document(
        {"type": "object", "properties": {"id": {"type": "integer"}}, "additionalProperties": False}
    )
    body = {f"k{i}": i for i in range(5000)}  # 5 s before findings were a set and capped

    with within(1.0):
        result = compare(contract, pact(body))

    found = result.interactions[0].mismatches
    assert len(found) == MAX_FINDINGS
    assert found[0].identifier == "$.k0"
    assert found[-1].severity == "error"
    assert found[-1].description.startswith(
        f"{5000 - MAX_FINDINGS + 1} more findings ({5000 - MAX_FINDINGS + 1} of them errors) "
        "were left out; the first of them: k19 is not in"
    )


def test_cutting_findings_never_hides_an_error() -> None:
    warnings = [Mismatch.of("request.query.unknown", "query", f"q{i}", "w") for i in range(30)]
    error = Mismatch.of("response.body.incompatible", "body", "$.x", "e")

    capped = comparison._capped([*warnings, warnings[0], error])

    assert len(capped) == MAX_FINDINGS
    assert capped[-1].rule == "response.body.incompatible"
    assert capped[-1].severity == "error"
    assert capped[-1].description.startswith("12 more findings (1 of them errors)")


# --- #5: YAML merge keys are charged to the values budget as they expand -------------------

HEAD = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n"


def test_a_chain_of_merge_keys_is_refused_before_it_expands() -> None:
    n = 1000  # 500k merged values: accepted, in 0.7 s, without the budget (8000: 49 s, 1.2 GB)
    chain = "x-chain:\n  b0: &b0 {k0: 1}\n" + "".join(
        f"  b{i}: &b{i} {{<<: *b{i - 1}, k{i}: 1}}\n" for i in range(1, n)
    )

    with pytest.raises(InvalidProviderContract, match=f"more than {MAX_MERGED}"):
        parse_document((HEAD + chain).encode(), "application/yaml")


def test_ordinary_merge_keys_still_work() -> None:
    text = HEAD + (
        "x-base: &base {type: object, required: [id]}\n"
        "x-more: &more {description: shared}\n"
        "x-user: {<<: [*base, *more], required: [id, name]}\n"
        "x-admin: {<<: *base, title: admin}\n"
    )

    parsed = parse_document(text.encode(), "application/yaml")

    user = {"type": "object", "description": "shared", "required": ["id", "name"]}
    assert parsed["x-user"] == user
    assert parsed["x-admin"] == {"type": "object", "required": ["id"], "title": "admin"}
