"""The exported OpenAPI document: stable bytes, closed response schemas, variants that match."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from user_service import create_app
from user_service_contract.openapi import document, main
from user_service_contract.variants import USER_RESPONSE, Variant, breaking, user_schema

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "integer": int,
    "string": str,
    "number": (int, float),
    "boolean": bool,
}


def export(out: Path, *args: str, **env: str) -> bytes:
    """Run the exporter as the provider-contract tier does: a process of its own."""
    subprocess.run(
        [sys.executable, "-m", "user_service_contract.openapi", "--out", str(out), *args],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        timeout=60,
    )
    return out.read_bytes()


def refs(node: object) -> list[str]:
    """Every ``$ref`` value anywhere in ``node``."""
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in refs(item)]
    return []


def resolve(doc: dict[str, Any], ref: str) -> object:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_the_export_is_byte_identical_across_runs_and_builds(tmp_path: Path) -> None:
    first = tmp_path / "first.json"
    assert main(["--out", str(first)]) == 0
    # Another process, hash seed and build version: nothing of it may reach the document.
    second = export(
        tmp_path / "second.json", PYTHONHASHSEED="12345", USER_SERVICE_VERSION="another-build"
    )

    assert first.read_bytes() == second
    assert second.endswith(b"}\n")
    assert list(json.loads(second)) == sorted(json.loads(second))


def test_the_document_is_structurally_valid_openapi() -> None:
    doc = document()

    assert doc["openapi"].startswith(("3.0.", "3.1."))
    assert doc["info"] == {"title": "user-service", "version": "0.1.0"}
    assert doc["paths"]
    for path, item in doc["paths"].items():
        assert path.startswith("/"), path
        operations = {k: v for k, v in item.items() if k in HTTP_METHODS}
        assert operations, path
        for method, operation in operations.items():
            assert operation["responses"], f"{method} {path} documents no response"
            for status, response in operation["responses"].items():
                assert status == "default" or status.isdigit(), (path, status)
                assert response["description"], (path, status)
            for parameter in operation.get("parameters", []):
                assert parameter["in"] in {"path", "query", "header", "cookie"}
                if parameter["in"] == "path":
                    assert f"{{{parameter['name']}}}" in path
                    assert parameter["required"] is True
    for ref in refs(doc):
        assert isinstance(resolve(doc, ref), dict), ref


def test_the_user_response_forbids_fields_it_does_not_define() -> None:
    schema = user_schema(document())

    assert schema["additionalProperties"] is False
    assert schema["properties"].keys() == {"id", "name", "email"}
    assert sorted(schema["required"]) == ["email", "id", "name"]


def test_unknown_users_are_documented_as_404_with_a_detail() -> None:
    doc = document()
    path, method, _, media_type = USER_RESPONSE

    not_found = doc["paths"][path][method]["responses"]["404"]
    schema = resolve(doc, not_found["content"][media_type]["schema"]["$ref"])

    assert not_found["description"] == "No user with this id"
    assert schema == {
        "additionalProperties": False,
        "description": "Why a resource was not found (FastAPI's ``HTTPException`` body).",
        "properties": {"detail": {"title": "Detail", "type": "string"}},
        "required": ["detail"],
        "title": "NotFound",
        "type": "object",
    }


def test_the_username_variant_renames_the_field_and_nothing_else(tmp_path: Path) -> None:
    original = document()
    out = tmp_path / "username.json"
    assert main(["--out", str(out), "--variant", "username"]) == 0
    exported = json.loads(out.read_text())

    changed = user_schema(exported)
    assert "name" not in changed["properties"]
    assert changed["properties"]["username"] == user_schema(original)["properties"]["name"]
    assert sorted(changed["required"]) == ["email", "id", "username"]
    assert changed["additionalProperties"] is False
    # Put the field back: everything else in the document is untouched.
    changed["properties"]["name"] = changed["properties"].pop("username")
    changed["required"] = ["name" if f == "username" else f for f in changed["required"]]
    assert exported == original


@pytest.mark.parametrize("variant", [None, *Variant], ids=lambda v: str(v or "app"))
def test_the_document_describes_what_the_app_serves(variant: Variant | None) -> None:
    # The early check (pact vs document) and the replay (pact vs app) must fail alike.
    app = create_app() if variant is None else breaking(create_app(), variant)
    body = TestClient(app).get("/users/1").json()

    schema = user_schema(document(variant))

    assert body.keys() == schema["properties"].keys()
    assert set(schema["required"]) <= body.keys()
    for field, value in body.items():
        assert isinstance(value, JSON_TYPES[schema["properties"][field]["type"]]), field
