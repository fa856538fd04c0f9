"""Provider contracts: each document variant of the corpus against a pact, with its whole verdict.

The corpus (tests/data/provider_contracts) holds user-service as billing-service needs it
(``documents/compatible.yaml``), one variant per kind of change, and the pacts compared with
them: the project's own (v4), a create-user pact (v3) and a lookup by name (v2). The verdicts
are swagger-mock-validator's (every variant was run through it; see the module below for the
one rule where this engine deliberately differs).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contract_broker.services.provider_contracts import Comparison, compare, parse_document

CORPUS = Path(__file__).parents[1] / "data" / "provider_contracts"
UNKNOWN_USER = "a request for an unknown user"
USER_123 = "a request for user 123"
GET_USER = "GET /users/{id}"


def comparison(document: str, pact: str) -> Comparison:
    path = CORPUS / "documents" / document
    content_type = "application/json" if path.suffix == ".json" else "application/yaml"
    parsed = parse_document(path.read_bytes(), content_type)
    return compare(parsed, json.loads((CORPUS / "pacts" / pact).read_text()))


def ok(description: str, *mismatches: dict[str, str]) -> dict[str, Any]:
    return {"interactionDescription": description, "success": True, "mismatches": list(mismatches)}


def failed(description: str, *mismatches: dict[str, str]) -> dict[str, Any]:
    return {"interactionDescription": description, "success": False, "mismatches": list(mismatches)}


def error(rule: str, attribute: str, identifier: str, description: str) -> dict[str, str]:
    return {
        "attribute": attribute,
        "identifier": identifier,
        "description": description,
        "rule": rule,
        "severity": "error",
    }


def warning(rule: str, attribute: str, identifier: str, description: str) -> dict[str, str]:
    return {**error(rule, attribute, identifier, description), "severity": "warning"}


def not_in_response(field: str, operation: str = GET_USER) -> dict[str, str]:
    return error(
        "response.body.incompatible",
        "body",
        f"$.{field}",
        f"{field} is not in the response schema of {operation}",
    )


BILLING = "billing-service-user-service.json"
COMPATIBLE = [ok(UNKNOWN_USER), ok(USER_123)]
RENAMED = [ok(UNKNOWN_USER), failed(USER_123, not_in_response("name"))]

BILLING_VERDICTS = {
    "compatible.yaml": COMPATIBLE,
    "compatible.json": COMPATIBLE,
    "compatible-3.1.yaml": COMPATIBLE,
    "additive.yaml": COMPATIBLE,
    "recursive-refs.yaml": COMPATIBLE,
    "all-of.yaml": COMPATIBLE,
    "new-required-request-field.yaml": COMPATIBLE,
    "renamed-field.yaml": RENAMED,
    # Without additionalProperties: false the consumer still relies on a field the provider
    # no longer documents: an error, as swagger-mock-validator's default says.
    "renamed-field-open.yaml": RENAMED,
    "all-of-renamed-field.yaml": RENAMED,
    "changed-type.yaml": [
        ok(UNKNOWN_USER),
        failed(
            USER_123,
            error(
                "response.body.incompatible",
                "body",
                "$.id",
                f"id: 123 is not of type 'string' (in the response schema of {GET_USER})",
            ),
        ),
    ],
    "changed-type-3.1.yaml": [
        ok(UNKNOWN_USER),
        failed(
            USER_123,
            error(
                "response.body.incompatible",
                "body",
                "$.name",
                "name: 'Ada Lovelace' is not of type 'integer', 'null' "
                f"(in the response schema of {GET_USER})",
            ),
        ),
    ],
    "undocumented-status.yaml": [
        failed(
            UNKNOWN_USER,
            error(
                "response.status.unknown",
                "status",
                "404",
                f"response status 404 is not documented for {GET_USER} (documented: 200)",
            ),
        ),
        ok(USER_123),
    ],
    "default-status.yaml": [
        ok(
            UNKNOWN_USER,
            warning(
                "response.status.default",
                "status",
                "404",
                f"response status 404 is documented for {GET_USER} only by its default response",
            ),
        ),
        ok(USER_123),
    ],
    "removed-endpoint.yaml": [
        failed(
            description,
            error(
                "request.path-or-method.unknown",
                "path",
                path,
                f"GET {path} is not in the provider contract",
            ),
        )
        for description, path in ((UNKNOWN_USER, "/users/999"), (USER_123, "/users/123"))
    ],
    "method-removed.yaml": [
        failed(
            description,
            error(
                "request.path-or-method.unknown",
                "method",
                "GET",
                f"GET {path} is not in the provider contract: its path has only DELETE",
            ),
        )
        for description, path in ((UNKNOWN_USER, "/users/999"), (USER_123, "/users/123"))
    ],
    "path-parameter-uuid.yaml": [
        failed(
            description,
            error(
                "request.path-or-method.unknown",
                "path",
                f"/users/{user}",
                f"GET /users/{user} is not in the provider contract (/users/{{id}} refuses it: "
                f"path parameter id: '{user}' is not a 'uuid')",
            ),
        )
        for description, user in ((UNKNOWN_USER, "999"), (USER_123, "123"))
    ],
    # The 404 interaction tests a request the provider refuses: its request is not judged.
    "required-query-and-header.yaml": [
        ok(UNKNOWN_USER),
        failed(
            USER_123,
            error(
                "request.header.incompatible",
                "header",
                "X-Tenant",
                f"request header X-Tenant is required by {GET_USER} but the pact does not send it",
            ),
            error(
                "request.query.incompatible",
                "query",
                "fields",
                f"query parameter fields is required by {GET_USER} but the pact does not send it",
            ),
        ),
    ],
    "secured.yaml": [
        ok(UNKNOWN_USER),
        failed(
            USER_123,
            error(
                "request.authorization.missing",
                "header",
                "Authorization",
                f"{GET_USER} requires the credential in header Authorization; the pact's "
                "request does not send it",
            ),
        ),
    ],
    "text-response.yaml": [
        ok(UNKNOWN_USER),
        failed(
            USER_123,
            error(
                "response.content-type.incompatible",
                "header",
                "Content-Type",
                "the response's Content-Type application/json is not one GET /users/{id} "
                "documents for 200 (text/plain)",
            ),
        ),
    ],
}


@pytest.mark.parametrize(("document", "verdict"), BILLING_VERDICTS.items())
def test_the_projects_own_pact_against_each_document_variant(
    document: str, verdict: list[dict[str, Any]]
) -> None:
    result = comparison(document, BILLING)

    assert result.test_results() == verdict
    assert result.success is all(i["success"] for i in verdict)


def test_the_corpus_has_a_verdict_for_every_user_service_document() -> None:
    documents = {p.name for p in (CORPUS / "documents").iterdir()} - {"items.yaml"}

    assert documents == set(BILLING_VERDICTS)


CREATE_USER = "a request to create a user"


@pytest.mark.parametrize(
    ("document", "verdict"),
    [
        ("compatible.yaml", [ok(CREATE_USER)]),
        ("additive.yaml", [ok(CREATE_USER)]),
        (
            "new-required-request-field.yaml",
            [
                failed(
                    CREATE_USER,
                    error(
                        "request.body.incompatible",
                        "body",
                        "$.role",
                        "role is required by the request schema of POST /users but the pact's "
                        "request body does not have it",
                    ),
                )
            ],
        ),
        ("renamed-field.yaml", [failed(CREATE_USER, not_in_response("name", "POST /users"))]),
    ],
)
def test_a_v3_pact_that_creates_a_user(document: str, verdict: list[dict[str, Any]]) -> None:
    assert comparison(document, "create-user-v3.json").test_results() == verdict


def test_a_path_parameter_of_the_wrong_type_matches_no_operation() -> None:
    assert comparison("compatible.yaml", "user-by-name-v2.json").test_results() == [
        failed(
            "a request for user ada by name",
            error(
                "request.path-or-method.unknown",
                "path",
                "/users/ada",
                "GET /users/ada is not in the provider contract (/users/{id} refuses it: "
                "path parameter id: 'ada' is not of type 'integer')",
            ),
        )
    ]


ITEM_VERDICTS: dict[str, list[tuple[str, str, str]]] = {
    "compatible list": [],
    "bad limit, no tenant": [
        ("request.header.incompatible", "error", "X-Tenant"),
        ("request.query.incompatible", "error", "limit"),
    ],
    "undocumented query and header": [
        ("request.header.unknown", "warning", "X-Debug"),
        ("request.query.unknown", "warning", "debug"),
    ],
    "nested extra field": [("response.body.incompatible", "error", "$[0].owner.nickname")],
    "allOf request with extra field": [("request.body.incompatible", "error", "$.colour")],
    "text request": [
        ("request.content-type.incompatible", "error", "Content-Type"),
        ("request.body.unknown", "warning", "$"),
    ],
    "accept xml": [("request.accept.incompatible", "error", "Accept")],
    # OpenAPI 3's status ranges (2XX); swagger-mock-validator reports response.status.unknown.
    "delete ranged status": [],
    "unknown response header": [
        ("response.header.unknown", "error", "X-Custom"),
        ("response.header.undefined", "warning", "Cache-Control"),
        ("response.header.incompatible", "error", "X-Total"),
    ],
    "id below minimum": [("request.path-or-method.unknown", "error", "/items/0")],
    "tags comma separated with limit too high": [("request.query.incompatible", "error", "limit")],
    "missing required request body": [("request.body.incompatible", "error", "$")],
    "required response field missing is fine": [],
    "bad request skips request checks": [("response.status.unknown", "error", "400")],
}


def test_query_header_body_and_status_rules_on_a_second_provider() -> None:
    result = comparison("items.yaml", "items-v3.json")

    found = {
        i.description: [(m.rule, m.severity, m.identifier) for m in i.mismatches]
        for i in result.interactions
    }
    assert found == ITEM_VERDICTS  # the message interaction is skipped
    assert [i.success for i in result.interactions] == [
        all(severity != "error" for _, severity, _ in v) for v in ITEM_VERDICTS.values()
    ]


def test_a_v4_pact_with_an_encoded_json_body_and_a_message_interaction() -> None:
    result = comparison("items.yaml", "items-v4.json")

    assert result.test_results() == [
        failed(
            "v4 encoded json body",
            error(
                "request.body.incompatible",
                "body",
                "$.name",
                "name: 5 is not of type 'string' (in the request schema of POST /items)",
            ),
            error(
                "response.body.incompatible",
                "body",
                "$.id",
                "id: 'x' is not of type 'integer' (in the response schema of POST /items)",
            ),
        )
    ]
