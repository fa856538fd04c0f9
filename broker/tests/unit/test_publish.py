"""Publish request validation (``POST /contracts/publish``) and the names publishing creates."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from contract_broker.errors import Invalid
from contract_broker.services.content import MAX_NESTING
from contract_broker.services.names import MAX_NAME, check_name, display_name_for
from contract_broker.services.publish import ContractToPublish, parse_publish_request
from tests.support.pacts import CONSUMER, PROVIDER, publish_body, renamed, sample_pact


def cli_body(**top: Any) -> dict[str, Any]:
    """What ``pact broker publish --branch main --tag t1 --build-url ...`` sends, changed."""
    body = publish_body(sample_pact(), "1.0.0", branch="main", tags=["t1"])
    body["buildUrl"] = "http://ci/1"
    body.update(top)
    return body


def with_contract(**fields: Any) -> dict[str, Any]:
    body = cli_body()
    body["contracts"][0].update(fields)
    return body


def b64(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return base64.b64encode(text.encode()).decode()


def test_the_cli_request_is_parsed() -> None:
    request = parse_publish_request(cli_body(tags=["t1", "t2", "t1"]))

    assert (request.pacticipant_name, request.version_number) == (CONSUMER, "1.0.0")
    assert (request.branch, request.tags, request.build_url) == (
        "main",
        ("t1", "t2"),
        "http://ci/1",
    )
    assert request.contracts == (ContractToPublish(CONSUMER, PROVIDER, sample_pact(), merge=False),)


@pytest.mark.parametrize(
    ("changes", "merge"),
    [({"onConflict": "merge"}, True), ({"onConflict": "overwrite"}, False), ({}, False)],
    ids=["merge", "overwrite", "absent"],
)
def test_on_conflict(changes: dict[str, Any], merge: bool) -> None:
    body = cli_body()
    body["contracts"][0].pop("onConflict")
    body["contracts"][0].update(changes)

    assert parse_publish_request(body).contracts[0].merge is merge


def test_optional_fields_may_be_left_out() -> None:
    body = cli_body()
    for key in ("branch", "tags", "buildUrl"):
        body.pop(key)

    request = parse_publish_request(body)

    assert (request.branch, request.tags, request.build_url) == (None, (), None)


def test_several_providers_at_once() -> None:
    body = cli_body()
    other = renamed(sample_pact(), provider="audit-service")
    body["contracts"].append(
        {**body["contracts"][0], "providerName": "audit-service", "content": b64(other)}
    )

    request = parse_publish_request(body)

    assert [c.provider_name for c in request.contracts] == [PROVIDER, "audit-service"]


C0 = "contracts.0"

INVALID: dict[str, tuple[dict[str, Any], dict[str, str]]] = {
    "empty body": (
        {},
        {
            "pacticipantName": "is missing",
            "pacticipantVersionNumber": "is missing",
            "contracts": "must be a non-empty list",
        },
    ),
    "name not a string": (cli_body(pacticipantName=5), {"pacticipantName": "must be a string"}),
    "blank name": (cli_body(pacticipantName="  "), {"pacticipantName": "cannot be blank"}),
    "multi-line version": (
        cli_body(pacticipantVersionNumber="1\n2"),
        {"pacticipantVersionNumber": "cannot contain a new line"},
    ),
    "long version": (
        cli_body(pacticipantVersionNumber="1" * (MAX_NAME + 1)),
        {"pacticipantVersionNumber": "cannot be longer than 255 characters"},
    ),
    "version '..'": (
        cli_body(pacticipantVersionNumber=".."),
        {"pacticipantVersionNumber": "cannot be '..'"},
    ),
    "blank branch": (cli_body(branch=""), {"branch": "cannot be blank"}),
    "branch not a string": (cli_body(branch=["main"]), {"branch": "must be a string"}),
    "tags not a list": (cli_body(tags="t1"), {"tags": "must be a list of strings"}),
    "tag not a string": (cli_body(tags=["ok", 2]), {"tags.1": "must be a string"}),
    "build URL not a string": (cli_body(buildUrl=3), {"buildUrl": "must be a string"}),
    "contracts empty": (cli_body(contracts=[]), {"contracts": "must be a non-empty list"}),
    "contract not an object": (cli_body(contracts=["x"]), {C0: "must be an object"}),
    "consumer is not the pacticipant": (
        with_contract(consumerName="someone-else"),
        {f"{C0}.consumerName": "must match pacticipantName ('billing-service')"},
    ),
    "consumer name missing": (
        with_contract(consumerName=None),
        {f"{C0}.consumerName": "must be a string"},
    ),
    "provider name blank": (
        with_contract(providerName=""),
        {f"{C0}.providerName": "cannot be blank"},
    ),
    "specification not pact": (
        with_contract(specification="oas"),
        {f"{C0}.specification": "must be 'pact'"},
    ),
    "content type not JSON": (
        with_contract(contentType="application/yaml"),
        {f"{C0}.contentType": "must be 'application/json'"},
    ),
    "unknown onConflict": (
        with_contract(onConflict="replace"),
        {f"{C0}.onConflict": "must be 'overwrite' or 'merge'"},
    ),
    "content missing": (
        with_contract(content=None),
        {f"{C0}.content": "is missing (base64 encoded pact JSON)"},
    ),
    "content not a string": (
        with_contract(content=["x"]),
        {f"{C0}.content": "is missing (base64 encoded pact JSON)"},
    ),
    "content not base64": (
        with_contract(content="not base64!"),
        {f"{C0}.content": "is not valid base64"},
    ),
    "content base64 with a line break": (
        with_contract(content=b64(sample_pact())[:40] + "\n" + b64(sample_pact())[40:]),
        {f"{C0}.content": "is not valid base64"},
    ),
    "content not UTF-8": (
        with_contract(content=base64.b64encode(b"\xff\xfe{}").decode()),
        {f"{C0}.content": "is not valid base64 (strict encoding, UTF-8 content)"},
    ),
    "content not JSON": (
        with_contract(content=b64("consumer: a")),
        {f"{C0}.content": "is not valid JSON"},
    ),
    "content a JSON list": (
        with_contract(content=b64([sample_pact()])),
        {f"{C0}.content": "must be a JSON object (a pact)"},
    ),
    "content not a pact": (
        with_contract(content=b64({"openapi": "3.0.0"})),
        {f"{C0}.content": "$.consumer.name is missing"},
    ),
    "content nested too deeply": (
        with_contract(content=b64("[" * (MAX_NESTING + 5) + "]" * (MAX_NESTING + 5))),
        {f"{C0}.content": "nested more than"},
    ),
    "content with a lone surrogate": (
        with_contract(content=b64('{"consumer": {"name": "\\udead"}}')),
        {f"{C0}.content": "lone surrogate"},
    ),
    "consumer in the content differs": (
        with_contract(content=b64(renamed(sample_pact(), consumer="other"))),
        {f"{C0}.consumerName": "does not match the consumer name in the pact content ('other')"},
    ),
    "provider in the content differs": (
        with_contract(content=b64(renamed(sample_pact(), provider="other"))),
        {f"{C0}.providerName": "does not match the provider name in the pact content ('other')"},
    ),
}


@pytest.mark.parametrize(("body", "expected"), list(INVALID.values()), ids=list(INVALID))
def test_invalid_publish_requests(body: dict[str, Any], expected: dict[str, str]) -> None:
    with pytest.raises(Invalid) as raised:
        parse_publish_request(copy.deepcopy(body))

    errors = raised.value.errors
    assert isinstance(errors, dict)
    for field, message in expected.items():
        assert any(message in m for m in errors.get(field, [])), errors


def test_every_problem_is_reported_at_once() -> None:
    body = cli_body(pacticipantVersionNumber="", branch="a\nb", tags=[""])
    body["contracts"][0].update(specification="oas", contentType="text/plain")

    with pytest.raises(Invalid) as raised:
        parse_publish_request(body)

    assert sorted(raised.value.errors) == [
        "branch",
        f"{C0}.contentType",
        f"{C0}.specification",
        "pacticipantVersionNumber",
        "tags.0",
    ]


# --- names ---------------------------------------------------------------------------------

USABLE = ["Billing Desk", "bücher-dienst ✓", "team/billing", "a+b", "100%", "...", "n" * MAX_NAME]
UNUSABLE = {
    "": "cannot be blank",
    " \t": "cannot be blank",
    "a\nb": "cannot contain a new line",
    "a\rb": "cannot contain a new line",
    "a\x00b": "cannot contain a NUL character",
    ".": "cannot be '.'",
    "..": "cannot be '..'",
    "\ud800x": "lone surrogate",
    "n" * (MAX_NAME + 1): "cannot be longer than 255 characters",
}


@pytest.mark.parametrize("name", USABLE, ids=lambda n: n[:12])
def test_usable_names(name: str) -> None:
    assert check_name("name", name) == name


@pytest.mark.parametrize(("name", "message"), list(UNUSABLE.items()), ids=lambda v: repr(v)[:12])
def test_unusable_names(name: str, message: str) -> None:
    with pytest.raises(Invalid) as raised:
        check_name("name", name)

    assert raised.value.errors == {"name": [message]} or message in str(raised.value.errors)


def test_names_without_spaces() -> None:
    with pytest.raises(Invalid, match="cannot contain spaces"):
        check_name("mainBranch", "main line", allow_spaces=False)


# The Pact Broker's own examples (spec/lib/pact_broker/pacticipants/generate_display_name_spec.rb).
DISPLAY_NAMES = {
    "foo": "Foo",
    "MyService": "My Service",
    "my-service": "My Service",
    "my_service": "My Service",
    "my service": "My Service",
    "ABCService": "ABC Service",
    "A4Service": "A4 Service",
    "SNSPactEventConsumer": "SNS Pact Event Consumer",
    "AWSSummiteerWeb": "AWS Summiteer Web",
    "Beer-Consumer": "Beer Consumer",
    "foo.pretend-consumer": "Foo Pretend Consumer",
    "Client-XX": "Client XX",
    "providerJSWorkshop": "Provider JS Workshop",
    "e2e Provider Example": "E2e Provider Example",
    "MP - Our Provider": "MP - Our Provider",
    "PoC - Pact-broker-consumer": "PoC - Pact Broker Consumer",
    "QB-DATABASE Service": "QB DATABASE Service",
    "Support Species App (Provider)": "Support Species App (Provider)",
    "billing-service": "Billing Service",
    "bücher-dienst": "Bücher Dienst",
    "": "",
}


@pytest.mark.parametrize(("name", "expected"), list(DISPLAY_NAMES.items()))
def test_generated_display_names(name: str, expected: str) -> None:
    assert display_name_for(name) == expected


def test_generated_display_names_fit_the_column() -> None:
    assert len(display_name_for("aB" * MAX_NAME)) == MAX_NAME
