"""Pact content rules: the content SHA, interaction ids, and what is not a pact."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest

from contract_broker.errors import Invalid
from contract_broker.services.content import (
    MAX_NESTING,
    canonical_json,
    check_pact,
    interaction_id,
    json_problem,
    load_json,
    pact_sha,
    parse_pact,
    with_interaction_ids,
)

Edit = Callable[[dict[str, Any]], None]


def pact(*interactions: dict[str, Any], spec: str = "2.0.0") -> dict[str, Any]:
    return {
        "consumer": {"name": "billing-service"},
        "provider": {"name": "user-service"},
        "interactions": list(interactions),
        "metadata": {"pactSpecification": {"version": spec}},
    }


def interaction(description: str, path: str = "/users/1", status: int = 200) -> dict[str, Any]:
    return {
        "description": description,
        "providerState": "a user exists",
        "request": {"method": "GET", "path": path, "headers": {"Accept": "application/json"}},
        "response": {"status": status, "body": {"id": 1, "name": "Ada"}},
    }


BASE = pact(interaction("first"), interaction("second", "/users/2"))


def _reverse_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reverse_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reverse_keys(v) for v in value]
    return value


def _set(path: str, value: Any) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = doc
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        target[int(last) if isinstance(target, list) else last] = value

    return edit


def _replace(new: dict[str, Any]) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        doc.clear()
        doc.update(new)

    return edit


SAME_SHA: dict[str, Edit] = {
    "every key order reversed": _replace(_reverse_keys(BASE)),
    "interactions in another order": lambda d: d["interactions"].reverse(),
    "other metadata": _set("metadata", {"pactSpecification": {"version": "2.0.0"}, "x": 1}),
    "tool versions in metadata": _set("metadata.pactRust", {"models": "1.3.16"}),
    "other consumer and provider names": lambda d: d.update(
        consumer={"name": "a"}, provider={"name": "b"}
    ),
    "broker _ids added": _replace(with_interaction_ids(BASE)),
    "wrong _ids added": _set("interactions.0._id", "not-the-real-id"),
    "createdAt and _links (a fetched pact)": lambda d: d.update(
        createdAt="2024-01-01T00:00:00+00:00", _links={"self": {"href": "x"}}
    ),
}

OTHER_SHA: dict[str, Edit] = {
    "a changed description": _set("interactions.0.description", "first!"),
    "a changed request path": _set("interactions.1.request.path", "/users/3"),
    "a changed response status": _set("interactions.0.response.status", 201),
    "a changed body value": _set("interactions.0.response.body.name", "Grace"),
    "a changed provider state": _set("interactions.0.providerState", "no users"),
    "an interaction removed": lambda d: d["interactions"].pop(),
    "an interaction added": lambda d: d["interactions"].append(interaction("third")),
    "an interaction duplicated": lambda d: d["interactions"].append(d["interactions"][0]),
    "another specification version": _set("metadata.pactSpecification.version", "3.0.0"),
    "interactions as messages": lambda d: d.update(messages=d.pop("interactions")),
}


@pytest.mark.parametrize("edit", list(SAME_SHA.values()), ids=list(SAME_SHA))
def test_what_does_not_change_the_sha(edit: Edit) -> None:
    edited = copy.deepcopy(BASE)
    edit(edited)

    assert pact_sha(edited) == pact_sha(BASE)


@pytest.mark.parametrize("edit", list(OTHER_SHA.values()), ids=list(OTHER_SHA))
def test_what_changes_the_sha(edit: Edit) -> None:
    edited = copy.deepcopy(BASE)
    edit(edited)

    assert pact_sha(edited) != pact_sha(BASE)


def test_the_sha_covers_sorted_interactions_and_the_specification_version_only() -> None:
    doc = pact(interaction("b"), interaction("a"), spec="2.0.0")
    ordered = sorted(
        (json.loads(json.dumps(i, sort_keys=True)) for i in doc["interactions"]),
        key=canonical_json,
    )
    expected = {"interactions": ordered, "pact_specification_version": "2.0.0"}
    sorted_keys = json.dumps(expected, sort_keys=True, separators=(",", ":"))

    assert pact_sha(doc) == hashlib.sha1(sorted_keys.encode()).hexdigest()


@pytest.mark.parametrize(
    "metadata",
    [
        {"pactSpecification": {"version": "3.0.0"}},
        {"pact-specification": {"version": "3.0.0"}},
        {"pactSpecificationVersion": "3.0.0"},
    ],
    ids=["pactSpecification", "pact-specification", "pactSpecificationVersion"],
)
def test_the_specification_version_is_read_from_each_known_key(metadata: dict[str, Any]) -> None:
    doc = {**pact(interaction("a")), "metadata": metadata}

    assert pact_sha(doc) == pact_sha(pact(interaction("a"), spec="3.0.0"))
    assert pact_sha(doc) != pact_sha(pact(interaction("a"), spec="2.0.0"))


def test_non_ascii_content_is_hashed_as_utf8() -> None:
    doc = pact(interaction("ünïcødé ✓"))

    assert canonical_json("ünïcødé ✓") == '"ünïcødé ✓"'
    assert pact_sha(doc) == pact_sha(json.loads(json.dumps(doc, ensure_ascii=True)))


def test_interaction_ids_come_first_and_ignore_key_order_and_old_ids() -> None:
    with_ids = with_interaction_ids(BASE)
    first = with_ids["interactions"][0]
    bare = BASE["interactions"][0]

    assert next(iter(first)) == "_id"
    assert first["_id"] == interaction_id(bare) == interaction_id(_reverse_keys(bare))
    assert interaction_id({**bare, "_id": "stale"}) == interaction_id(bare)
    assert (
        first["_id"]
        == hashlib.sha1(
            json.dumps(bare, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()
    )
    assert with_interaction_ids(with_ids) == with_ids
    assert len({i["_id"] for i in with_ids["interactions"]}) == 2
    assert BASE["interactions"][0] == bare  # the input is not modified


def test_messages_get_ids_too_and_non_objects_are_left_alone() -> None:
    doc = {"consumer": {"name": "a"}, "provider": {"name": "b"}, "messages": [{"x": 1}, "odd"]}

    ids = with_interaction_ids(doc)["messages"]

    assert ids[0] == {"_id": interaction_id({"x": 1}), "x": 1}
    assert ids[1] == "odd"


# --- what is not a pact --------------------------------------------------------------------

NOT_PACTS: dict[str, tuple[str, str]] = {
    "not JSON": ("{'consumer': 1}", "is not valid JSON"),
    "truncated": ('{"consumer": {"name": "a"}', "is not valid JSON"),
    "a list": ("[1, 2]", "must be a JSON object (a pact), not list"),
    "a string": ('"pact"', "must be a JSON object (a pact), not str"),
    "null": ("null", "must be a JSON object (a pact), not NoneType"),
    "no consumer": ('{"provider": {"name": "b"}}', "$.consumer.name is missing"),
    "no provider": ('{"consumer": {"name": "a"}}', "$.provider.name is missing"),
    "blank consumer name": (
        '{"consumer": {"name": " "}, "provider": {"name": "b"}}',
        "$.consumer.name is missing",
    ),
    "consumer name not a string": (
        '{"consumer": {"name": 1}, "provider": {"name": "b"}}',
        "$.consumer.name is missing",
    ),
    "consumer not an object": (
        '{"consumer": "a", "provider": {"name": "b"}}',
        "$.consumer.name is missing",
    ),
    "interactions not a list": (
        '{"consumer": {"name": "a"}, "provider": {"name": "b"}, "interactions": {}}',
        "$.interactions must be a list",
    ),
    "messages not a list": (
        '{"consumer": {"name": "a"}, "provider": {"name": "b"}, "messages": "m"}',
        "$.messages must be a list",
    ),
    "nested too deeply": ("[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1), "nested more than"),
    "nested beyond the parser": ("[" * 100_000 + "]" * 100_000, "nested more than"),
    "a lone surrogate": (
        '{"consumer": {"name": "\\ud800"}, "provider": {"name": "b"}}',
        "lone surrogate",
    ),
}


@pytest.mark.parametrize(("text", "message"), list(NOT_PACTS.values()), ids=list(NOT_PACTS))
def test_what_is_not_a_pact(text: str, message: str) -> None:
    with pytest.raises(Invalid) as raised:
        parse_pact(text, field="contracts.0.content")

    errors = raised.value.errors
    assert isinstance(errors, dict)
    assert list(errors) == ["contracts.0.content"]
    assert any(message in problem for problem in errors["contracts.0.content"]), errors


def test_both_sides_missing_are_reported_together() -> None:
    with pytest.raises(Invalid) as raised:
        check_pact({"interactions": []})

    assert raised.value.errors == {
        "content": [
            "is not a pact: $.consumer.name is missing",
            "is not a pact: $.provider.name is missing",
        ]
    }


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(BASE),
        json.dumps(BASE).encode(),
        json.dumps(BASE, ensure_ascii=False).encode("utf-8"),
        json.dumps({**BASE, "deep": json.loads("[" * (MAX_NESTING - 1) + "]" * (MAX_NESTING - 1))}),
        json.dumps({**BASE, "emoji": "🚀"}),  # a surrogate pair in the escaped form is fine
    ],
    ids=["str", "bytes", "utf-8", "just deep enough", "escaped emoji"],
)
def test_what_is_a_pact(text: str | bytes) -> None:
    parsed = parse_pact(text)

    assert parsed["consumer"] == {"name": "billing-service"}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"a": [1, {"b": "c"}]}, None),
        ("🚀 ünïcødé", None),
        ({"\udc00": 1}, "lone surrogate"),
        (["ok", ["\ud800"]], "lone surrogate"),
        (json.loads("[" * MAX_NESTING + "]" * MAX_NESTING), None),
        (json.loads("[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1)), "nested more than"),
    ],
)
def test_json_problem(value: Any, problem: str | None) -> None:
    found = json_problem(value)

    assert (found is None) if problem is None else (problem in str(found))


def test_load_json_refuses_what_the_pact_broker_refuses() -> None:
    assert load_json(b'{"a": 1}') == {"a": 1}
    for text in ('{"a": ', "[" * 5000 + "]" * 5000, '"\\udfff"'):
        with pytest.raises(ValueError, match=r"."):
            load_json(text)
