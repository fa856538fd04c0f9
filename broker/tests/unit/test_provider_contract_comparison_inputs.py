"""Provider contracts: what parse_document refuses, and inputs compare survives without raising.

Published documents and pacts come from other teams' builds: an invalid document is refused
with a message that says what is wrong (the broker answers 400 with it), and no pact or
document, however malformed, makes ``compare`` raise or answer differently twice.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contract_broker.services.provider_contracts import (
    Comparison,
    InteractionResult,
    InvalidProviderContract,
    Mismatch,
    compare,
    parse_document,
)
from contract_broker.services.provider_contracts.media_types import matching_type

CORPUS = Path(__file__).parents[1] / "data" / "provider_contracts"
DOCUMENT = parse_document(
    (CORPUS / "documents" / "compatible.yaml").read_bytes(), "application/yaml"
)
PACT = json.loads((CORPUS / "pacts" / "billing-service-user-service.json").read_text())


def test_yaml_and_json_give_the_same_document_with_string_status_keys() -> None:
    from_json = parse_document((CORPUS / "documents" / "compatible.json").read_bytes(), "")

    assert from_json == DOCUMENT
    assert list(DOCUMENT["paths"]["/users/{id}"]["get"]["responses"]) == ["200", "404"]


def test_yaml_dates_stay_the_strings_json_would_have() -> None:
    content = (CORPUS / "documents" / "compatible.yaml").read_bytes() + b"x-released: 2026-01-01\n"

    assert parse_document(content, "application/yaml")["x-released"] == "2026-01-01"


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("missing-info.yaml", "not a valid OpenAPI document: "),
        ("swagger-2.json", "not an OpenAPI 3.0 or 3.1 document (swagger: '2.0')"),
        ("unparsable.yaml", "not valid YAML: expected ',' or '}', but got ':' (line 3, column 6)"),
        ("not-a-mapping.yaml", "must be a mapping (an OpenAPI document), not a list"),
        ("nan.json", "contains NaN, which JSON lacks"),
        ("remote-ref.yaml", "$ref 'https://schemas.example.com/user.json' is not local"),
        ("dangling-ref.yaml", "$ref '#/components/schemas/User' in the provider contract points"),
        ("ref-loop.yaml", "$refs refer to each other without end"),
        (
            "undeclared-path-parameter.yaml",
            "Path parameter 'id' for 'get' operation in '/users/{id}",
        ),
        ("wrong-schema-type.yaml", "(at /paths/~1health/get/responses/200)"),
        ("alias-bomb.yaml", "holds more than 1000000 values (after expanding YAML aliases)"),
    ],
)
def test_an_invalid_document_is_refused_saying_what_is_wrong(name: str, says: str) -> None:
    path = CORPUS / "invalid" / name
    content_type = "application/json" if path.suffix == ".json" else "application/yaml"

    with pytest.raises(InvalidProviderContract) as refused:
        parse_document(path.read_bytes(), content_type)

    assert says in str(refused.value)


@pytest.mark.parametrize(
    ("content", "content_type", "says"),
    [
        (b"", "application/yaml", "not nothing"),
        (b"\xff\xfe", "application/json", "not UTF-8 text"),
        (b"[" * 50_000, "application/json", "nests deeper than 200 levels"),
        (b"[" * 50_000, "application/yaml", "nests deeper than 200 levels"),
        (b"a: &a [*a]", "application/yaml", "nests deeper than 200 levels"),
        (b"x: !!binary aGVsbG8=", "application/yaml", "contains bytes"),
        (b"{1.5: x}", "application/yaml", "a key that is a number (1.5)"),
        (b"x: .nan", "application/yaml", "contains nan, which JSON cannot represent"),
        (b"openapi: 3.1\ninfo: {}", "application/yaml", "(openapi: 3.1)"),
        (b'{"openapi": "3.2.0"}', "application/json", "(openapi: '3.2.0')"),
    ],
)
def test_hostile_or_odd_content_is_refused(content: bytes, content_type: str, says: str) -> None:
    with pytest.raises(InvalidProviderContract) as refused:
        parse_document(content, content_type)

    assert says in str(refused.value)


def test_invalid_provider_contract_is_a_value_error() -> None:
    assert issubclass(InvalidProviderContract, ValueError)


def deeply_nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"next": value}
    return value


def pact_with(*interactions: Any) -> dict[str, Any]:
    return {"interactions": list(interactions), "metadata": {"pactSpecification": {"version": "3"}}}


GET_123: dict[str, Any] = {
    "description": "a request for user 123",
    "request": {"method": "GET", "path": "/users/123"},
    "response": {"status": 200, "body": {"id": 123, "name": "Ada", "email": "ada@example.com"}},
}

HOSTILE_PACTS: list[Any] = [
    None,
    "a pact",
    [PACT],
    {"interactions": "none"},
    pact_with(None, 5, "x", []),
    pact_with({"description": 7, "request": "GET /", "response": []}),
    pact_with({**GET_123, "request": {"method": None, "path": 5}}),
    pact_with({**GET_123, "response": {"status": "two hundred"}}),
    pact_with({**GET_123, "response": {"status": 200, "body": deeply_nested(5_000)}}),
    pact_with({**GET_123, "request": {**GET_123["request"], "body": deeply_nested(5_000)}}),
    pact_with({**GET_123, "response": {"status": 200, "body": {"id": float("nan")}}}),
    pact_with({**GET_123, "request": {**GET_123["request"], "query": {"a": [1, None, {}]}}}),
    pact_with({**GET_123, "request": {**GET_123["request"], "headers": {"X": [1, True]}}}),
    {
        "interactions": [
            {
                **GET_123,
                "type": "Synchronous/HTTP",
                "request": {
                    "method": "GET",
                    "path": "/users/123",
                    "body": {"content": "%%%", "encoded": "base64"},
                },
            }
        ]
    },
]


@pytest.mark.parametrize("pact", HOSTILE_PACTS)
def test_no_pact_makes_compare_raise_or_change_its_answer(pact: Any) -> None:
    first = compare(DOCUMENT, pact)

    assert first == compare(DOCUMENT, pact)
    assert isinstance(first.test_results(), list)


def test_what_cannot_be_read_is_a_finding_on_its_interaction() -> None:
    result = compare(DOCUMENT, HOSTILE_PACTS[4]).test_results()

    assert [r["interactionDescription"] for r in result] == [
        f"interaction {i}" for i in range(1, 5)
    ]
    assert {r["success"] for r in result} == {False}
    assert result[0]["mismatches"][0]["description"] == "the interaction is not an object"


def test_a_body_nested_too_deeply_is_reported_not_validated() -> None:
    result = compare(DOCUMENT, HOSTILE_PACTS[8])

    assert result.interactions[0].mismatches == (
        Mismatch(
            "response.body.incompatible",
            "error",
            "body",
            "$",
            "the pact's response body nests deeper than 200 levels; it was not compared",
        ),
    )


def test_a_pact_without_http_interactions_is_not_a_success() -> None:
    result = compare(DOCUMENT, {"interactions": [{"type": "Asynchronous/Messages"}]})

    assert result == Comparison(())
    assert result.success is False
    assert result.test_results() == []


def body_schema(schema: Any) -> dict[str, Any]:
    content = {"application/json": {"schema": schema}}
    return {
        "openapi": "3.0.3",
        "paths": {"/users/{id}": {"get": {"responses": {"200": {"content": content}}}}},
    }


@pytest.mark.parametrize(
    "document",
    [
        {},
        {"paths": []},
        {"paths": {"/users/{id}": None}},
        {"paths": {"/users/{id}": {"get": {"responses": []}}}},
        {"paths": {"/users/{id}": {"get": {"parameters": [5, {"$ref": "#/x"}], "responses": {}}}}},
        body_schema({"$ref": "#/components/schemas/Nowhere"}),
        body_schema({"$ref": "#/components/schemas/A"})
        | {"components": {"schemas": {"A": {"$ref": "#/components/schemas/A"}}}},
        body_schema({"type": 5, "properties": []}),
        body_schema({"allOf": "x", "required": 3}),
        body_schema(deeply_nested(3_000)),
        {"paths": {"/users/{id}": {"$ref": "#/paths/~1users~1{id}"}}},
    ],
)
def test_no_document_makes_compare_raise(document: Any) -> None:
    first = compare(document, pact_with(GET_123))

    assert first == compare(document, pact_with(GET_123))
    assert first.success is False


def test_a_schema_that_cannot_be_evaluated_fails_the_interaction_and_says_why() -> None:
    result = compare(body_schema({"$ref": "#/components/schemas/Nowhere"}), pact_with(GET_123))

    [mismatch] = result.interactions[0].mismatches
    assert (mismatch.rule, mismatch.severity, mismatch.identifier) == (
        "response.body.incompatible",
        "error",
        "$",
    )
    assert mismatch.description.startswith(
        "the response schema of GET /users/{id} cannot be used: "
    )


def test_success_allows_warnings_but_not_errors() -> None:
    warned = InteractionResult("w", (Mismatch.of("request.query.unknown", "query", "q", "d"),))
    broken = InteractionResult("e", (Mismatch.of("response.status.unknown", "status", "1", "d"),))

    assert warned.success is True
    assert broken.success is False
    assert Comparison((warned,)).success is True
    assert Comparison((warned, broken)).success is False


@pytest.mark.parametrize(
    ("requested", "available", "chosen"),
    [
        ("application/json", ["application/json"], "application/json"),
        ("Application/JSON; charset=utf-8", ["application/json"], "application/json"),
        ("application/json", ["application/vnd.users+json"], "application/vnd.users+json"),
        ("application/json", ["application/*"], "application/*"),
        ("text/html, application/json;q=0.9", ["application/json"], "application/json"),
        ("*/*", ["text/plain", "application/json"], "text/plain"),
        ("application/xml", ["application/json"], None),
    ],
)
def test_media_types_match_as_the_reference_negotiates(
    requested: str, available: list[str], chosen: str | None
) -> None:
    assert matching_type(requested, available) == chosen
